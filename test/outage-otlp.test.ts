import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURES, REPO_ROOT, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCollectorProcess, type CollectorProcess } from './support/collector-process.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// "Outages lose nothing", OTLP side: `tracetape collector` goes away while an app records over
// OTLP and comes back on the same port; every span reaches the store exactly once, also when the
// app exits during the outage and a later process drains the spool. The counters reach the
// MeterProvider the app installs for itself.
const REGISTER = path.join(REPO_ROOT, 'packages/register/dist/index.js');
const APP = path.join(FIXTURES, 'outage-app.mjs');
const work = tempDir('tracetape-outage-otlp-');
let upstream: CountingServer;
const running = new Set<CollectorProcess>();

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url }) }));
});
afterAll(async () => {
  await Promise.all([...running].map((collector) => collector.stop()));
  await upstream.close();
  work.remove();
});

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The collector on one store directory, stopped and started again on the same port. */
class Collector {
  private current: CollectorProcess | undefined;
  port = 0;

  constructor(readonly storeDir: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.current = await startCollectorProcess({ TRACETAPE_DIR: this.storeDir }, this.port);
    running.add(this.current);
    this.port = this.current.port;
  }

  async stop(): Promise<void> {
    const current = this.current!;
    this.current = undefined;
    running.delete(current);
    const stopped = await current.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function spooled(spoolDir: string): string[] {
  try {
    return fs.readdirSync(spoolDir).filter((name) => name.endsWith('.otlp.pb'));
  } catch {
    return [];
  }
}

/** The app under capture, driven call by call through its stdin. */
class App {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', REGISTER, APP], { cwd: work.dir, env: { ...process.env, ...env } });
    this.child.stdout.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
  }

  async call(n: number): Promise<void> {
    this.child.stdin.write('next\n');
    await until(`call ${n}`, () => this.stdout.includes(`call ${n}\n`));
  }

  /** What tracetape reported to the app's own MeterProvider (METRICS=1), collected now. */
  async metrics(): Promise<Record<string, number>> {
    const lines = (): string[] => this.stdout.split('\n').filter((line) => line.startsWith('metrics '));
    const before = lines().length;
    this.child.stdin.write('metrics\n');
    await until('metrics', () => lines().length > before);
    return JSON.parse(lines().at(-1)!.slice('metrics '.length)) as Record<string, number>;
  }
}

function envFor(name: string, collector: Collector, calls: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    TRACETAPE_SPOOL_DIR: path.join(work.dir, `${name}-spool`),
    TRACETAPE_RUN_FILE: path.join(work.dir, `${name}.runs`),
    // Bounds how long one send (the exporter's own retries included) waits on a collector that is away.
    TRACETAPE_FLUSH_TIMEOUT_MS: '2000',
    UPSTREAM_URL: upstream.url,
    CALLS: String(calls),
  };
}

function runTraceIds(env: Record<string, string>): string[] {
  return fs
    .readFileSync(env.TRACETAPE_RUN_FILE!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { traceId: string }).traceId);
}

interface StoredSpan {
  SpanId: string;
  copies: string;
  recorded: string;
}

/** Read from the store directory once the collector is stopped (the embedded store has one owner at a time). */
async function storedSpans(storeDir: string, traceId: string): Promise<StoredSpan[]> {
  const sql =
    `SELECT SpanId, toString(count()) AS copies, toString(max(SpanAttributes['tracetape.input.hash'] != '')) AS recorded ` +
    `FROM otel_traces WHERE TraceId = '${traceId}' GROUP BY SpanId`;
  const result = await tracetape(['query', sql, '--format', 'json'], { TRACETAPE_DIR: storeDir });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredSpan);
}

/** Each call once, the run's root span too, and no SpanId twice. */
function expectExactlyOnce(spans: StoredSpan[], calls: number): void {
  expect(spans.filter((span) => span.copies !== '1')).toEqual([]);
  expect(spans.filter((span) => span.recorded === '1')).toHaveLength(calls);
  expect(spans).toHaveLength(calls + 1);
}

it('keeps the spans of a collector outage mid-run, sends each exactly once when it is back, and counts it all as metrics', async () => {
  const collector = new Collector(path.join(work.dir, 'midrun-store'));
  await collector.start();
  const calls = 9;
  const env = { ...envFor('midrun', collector, calls), METRICS: '1' };
  const app = new App(env);
  for (let n = 1; n <= 3; n++) await app.call(n);
  await collector.stop();
  for (let n = 4; n <= 6; n++) await app.call(n);
  // The calls made while the collector was away are on disk, not lost.
  await until('spooled batches', () => spooled(env.TRACETAPE_SPOOL_DIR).length > 0);
  await collector.start();
  await app.call(7);
  // The counters reach the app's MeterProvider: the outage's spans were spooled, then drained, none lost.
  let counted: Record<string, number> = {};
  await until('the drain in the metrics', async () => {
    counted = await app.metrics();
    return counted['tracetape.spans.pending'] === 0 && counted['tracetape.spans.exported']! >= 7;
  });
  expect(counted['tracetape.spans.spooled']).toBeGreaterThanOrEqual(3);
  expect(counted['tracetape.spans.dropped']).toBe(0);
  expect(counted['tracetape.spans.retried']).toBeGreaterThanOrEqual(0);
  for (let n = 8; n <= calls; n++) await app.call(n);
  expect(await app.exited, app.stderr).toBe(0);
  expect(app.stderr).not.toMatch(/dropped/);
  if (spooled(env.TRACETAPE_SPOOL_DIR).length > 0) {
    // The app may have exited before its retry came round; the next process sends what is left.
    const drainer = await runProcess(process.execPath, ['--import', REGISTER, APP], { ...envFor('midrun', collector, 0), TRACETAPE_RUN_FILE: path.join(work.dir, 'drainer.runs') }, work.dir);
    expect(drainer.code, drainer.stderr).toBe(0);
  }
  expect(spooled(env.TRACETAPE_SPOOL_DIR)).toEqual([]);
  await collector.stop();
  const [traceId] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(collector.storeDir, traceId!), calls);
}, 120_000);

it('drains what a run left in the spool when the collector was down at its exit, from the next process', async () => {
  const collector = new Collector(path.join(work.dir, 'restart-store'));
  // Away for the whole first run.
  collector.port = await freePort();
  const calls = 3;
  const env = envFor('restart', collector, calls);
  const first = new App(env);
  for (let n = 1; n <= calls; n++) await first.call(n);
  expect(await first.exited, first.stderr).toBe(0);
  // Spooled on exit and told in one line, with what to expect.
  expect(spooled(env.TRACETAPE_SPOOL_DIR).length).toBeGreaterThan(0);
  expect(first.stderr).toMatch(/tracetape: spool .*: 0 span\(s\) exported, \d+ spooled, \d+ retried, 0 dropped, 4 still spooled \(the next run with the same TRACETAPE_SPOOL_DIR sends them once the collector at http:\/\/127\.0\.0\.1:\d+\/v1\/traces is back\)/);
  expect(first.stderr).not.toMatch(/dropped \d+ span/);
  await collector.start();
  const second = new App({ ...env, CALLS: '1' });
  await second.call(1);
  expect(await second.exited, second.stderr).toBe(0);
  expect(spooled(env.TRACETAPE_SPOOL_DIR)).toEqual([]);
  await collector.stop();
  const [firstTrace, secondTrace] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(collector.storeDir, firstTrace!), calls);
  expectExactlyOnce(await storedSpans(collector.storeDir, secondTrace!), 1);
}, 120_000);
