import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProcess, tempDir } from './support/cli.js';
import { freePort } from './support/free-port.js';
import { startCollectorProcess, type CollectorProcess } from './support/collector-process.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { APP, expectExactlyOnce, logSegments, OutageApp, REGISTER, runTraceIds, storedSpans, until, waitingSpans, type StoredSpan } from './support/outage-app.js';

// "Outages lose nothing", OTLP side: `tracetape collector` goes away while an app records over
// OTLP and comes back on the same port; every span reaches the store exactly once, shipped from
// the recording log, also when the app exits during the outage and a later process ships what it
// left. The counters reach the MeterProvider the app installs for itself.
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

function envFor(name: string, collector: Collector, calls: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    TRACETAPE_LOG_DIR: path.join(work.dir, `${name}-log`),
    TRACETAPE_RUN_FILE: path.join(work.dir, `${name}.runs`),
    // Bounds how long one send (the exporter's own retries included) waits on a collector that is away.
    TRACETAPE_FLUSH_TIMEOUT_MS: '2000',
    UPSTREAM_URL: upstream.url,
    CALLS: String(calls),
  };
}

/** Each call once, the run's root span too, and no SpanId twice. */
function expectAllOnce(spans: StoredSpan[], calls: number): void {
  expectExactlyOnce(spans, calls);
  expect(spans).toHaveLength(calls + 1);
}

it('keeps the spans of a collector outage mid-run, sends each exactly once when it is back, and counts it all as metrics', async () => {
  const collector = new Collector(path.join(work.dir, 'midrun-store'));
  await collector.start();
  const calls = 9;
  const env = { ...envFor('midrun', collector, calls), METRICS: '1' };
  const app = new OutageApp(work.dir, env);
  for (let n = 1; n <= 3; n++) await app.call(n);
  await collector.stop();
  for (let n = 4; n <= 6; n++) await app.call(n);
  // The calls made while the collector was away wait in the log, not lost.
  await until('the outage\'s spans waiting in the log', () => waitingSpans(env.TRACETAPE_LOG_DIR) >= 3);
  await collector.start();
  await app.call(7);
  // The counters reach the app's MeterProvider: the outage's spans were held in the log, then shipped, none lost.
  const counted = await app.expectDrainedInMetrics(7, 3);
  // Reported, whatever its value: shipping may succeed at its first try after the outage.
  expect(counted['tracetape.spans.retried']).toBeGreaterThanOrEqual(0);
  for (let n = 8; n <= calls; n++) await app.call(n);
  expect(await app.exited, app.stderr).toBe(0);
  expect(app.stderr).not.toMatch(/dropped/);
  if (logSegments(env.TRACETAPE_LOG_DIR).length > 0) {
    // The app may have exited before its retry came round; the next process ships what is left.
    const drainer = await runProcess(process.execPath, ['--import', REGISTER, APP], { ...envFor('midrun', collector, 0), TRACETAPE_RUN_FILE: path.join(work.dir, 'drainer.runs') }, work.dir);
    expect(drainer.code, drainer.stderr).toBe(0);
  }
  expect(logSegments(env.TRACETAPE_LOG_DIR)).toEqual([]);
  await collector.stop();
  const [traceId] = runTraceIds(env);
  expectAllOnce(await storedSpans({ TRACETAPE_DIR: collector.storeDir }, traceId!), calls);
}, 120_000);

it('ships what a run left in the log when the collector was down at its exit, from the next process', async () => {
  const collector = new Collector(path.join(work.dir, 'restart-store'));
  // Away for the whole first run.
  collector.port = await freePort();
  const calls = 3;
  const env = envFor('restart', collector, calls);
  const first = new OutageApp(work.dir, env);
  for (let n = 1; n <= calls; n++) await first.call(n);
  expect(await first.exited, first.stderr).toBe(0);
  // Kept in the log at exit (each call and the run's root span) and told in one line, with what to expect.
  expect(waitingSpans(env.TRACETAPE_LOG_DIR)).toBe(calls + 1);
  expect(first.stderr).toMatch(/tracetape: 4 span\(s\) still in the recording log at .*-log; they are sent when the collector at http:\/\/127\.0\.0\.1:\d+\/v1\/traces is back \(the next run, or `tracetape ingest`\)/);
  expect(first.stderr).not.toMatch(/dropped \d+ span/);
  await collector.start();
  const second = new OutageApp(work.dir, { ...env, CALLS: '1' });
  await second.call(1);
  expect(await second.exited, second.stderr).toBe(0);
  expect(logSegments(env.TRACETAPE_LOG_DIR)).toEqual([]);
  await collector.stop();
  const [firstTrace, secondTrace] = runTraceIds(env);
  expectAllOnce(await storedSpans({ TRACETAPE_DIR: collector.storeDir }, firstTrace!), calls);
  expectAllOnce(await storedSpans({ TRACETAPE_DIR: collector.storeDir }, secondTrace!), 1);
}, 120_000);
