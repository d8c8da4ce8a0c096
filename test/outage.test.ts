import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from './support/clickhouse-http-server.js';
import { FIXTURES, REPO_ROOT, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// "Outages lose nothing": the ClickHouse server goes away while an app records and comes back on
// the same port; every span reaches it exactly once, also when the app exits during the outage.
const REGISTER = path.join(REPO_ROOT, 'packages/register/dist/index.js');
const APP = path.join(FIXTURES, 'outage-app.mjs');
const work = tempDir('tracetape-outage-');
const data = path.join(work.dir, 'chdb');
let clickhouse: ClickHouseHttpHarness;
let port: number;
let upstream: CountingServer;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpHarness(data);
  port = Number(new URL(clickhouse.url).port);
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url }) }));
});
afterAll(async () => {
  await upstream.close();
  await clickhouse.close();
  work.remove();
});

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function batches(spoolDir: string): string[] {
  try {
    return fs.readdirSync(spoolDir).filter((name) => name.endsWith('.batch.json'));
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

function envFor(name: string, calls: number): Record<string, string> {
  return {
    TRACETAPE_CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
    TRACETAPE_SPOOL_DIR: path.join(work.dir, `${name}-spool`),
    TRACETAPE_RUN_FILE: path.join(work.dir, `${name}.runs`),
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

async function storedSpans(traceId: string): Promise<StoredSpan[]> {
  const sql =
    `SELECT SpanId, toString(count()) AS copies, toString(max(SpanAttributes['tracetape.input.hash'] != '')) AS recorded ` +
    `FROM otel_traces WHERE TraceId = '${traceId}' GROUP BY SpanId`;
  const result = await tracetape(['query', sql, '--format', 'json'], { TRACETAPE_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredSpan);
}

function expectExactlyOnce(spans: StoredSpan[], calls: number): void {
  expect(spans.filter((span) => span.copies !== '1')).toEqual([]);
  expect(spans.filter((span) => span.recorded === '1')).toHaveLength(calls);
}

async function restart(): Promise<void> {
  clickhouse = await startClickHouseHttpHarness(data, { port });
}

it('keeps the spans of an outage mid-run and sends each exactly once when the store is back', async () => {
  const calls = 9;
  const env = envFor('midrun', calls);
  const app = new App({ ...env, METRICS: '1' });
  for (let n = 1; n <= 3; n++) await app.call(n);
  await clickhouse.close();
  for (let n = 4; n <= 6; n++) await app.call(n);
  // The calls made while the store was away are on disk, not lost.
  await until('spooled batches', () => batches(env.TRACETAPE_SPOOL_DIR!).length > 0);
  await restart();
  await app.call(7);
  // The counters reach the app's MeterProvider: the outage's spans were spooled, then drained, none lost.
  let counted: Record<string, number> = {};
  await until('the drain in the metrics', async () => {
    counted = await app.metrics();
    return counted['tracetape.spans.pending'] === 0 && counted['tracetape.spans.exported']! >= 7;
  });
  expect(counted['tracetape.spans.spooled']).toBeGreaterThanOrEqual(3);
  expect(counted['tracetape.spans.dropped']).toBe(0);
  for (let n = 8; n <= calls; n++) await app.call(n);
  expect(await app.exited, app.stderr).toBe(0);
  if (batches(env.TRACETAPE_SPOOL_DIR!).length > 0) {
    const drainer = await runProcess(process.execPath, ['--import', REGISTER, APP], { ...envFor('midrun', 0), TRACETAPE_RUN_FILE: path.join(work.dir, 'drainer.runs') }, work.dir);
    expect(drainer.code, drainer.stderr).toBe(0);
  }
  expect(batches(env.TRACETAPE_SPOOL_DIR!)).toEqual([]);
  const [traceId] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(traceId!), calls);
}, 120_000);

it('drains what a run left in the spool when the store was down at its exit, on the next run', async () => {
  const calls = 3;
  const env = envFor('restart', calls);
  await clickhouse.close();
  const first = new App(env);
  for (let n = 1; n <= calls; n++) await first.call(n);
  expect(await first.exited, first.stderr).toBe(0);
  // Spooled synchronously on exit and told in one line.
  expect(batches(env.TRACETAPE_SPOOL_DIR!).length).toBeGreaterThan(0);
  expect(first.stderr).toMatch(/still spooled/);
  await restart();
  const second = new App({ ...env, CALLS: '1' });
  await second.call(1);
  expect(await second.exited, second.stderr).toBe(0);
  expect(batches(env.TRACETAPE_SPOOL_DIR!)).toEqual([]);
  const [firstTrace, secondTrace] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(firstTrace!), calls);
  expectExactlyOnce(await storedSpans(secondTrace!), 1);
}, 120_000);
