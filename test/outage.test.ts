import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from './support/clickhouse-http-server.js';
import { runProcess, tempDir } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { APP, expectExactlyOnce, logSegments, OutageApp, REGISTER, runTraceIds, storedSpans, until, waitingSpans } from './support/outage-app.js';

// "Outages lose nothing": the ClickHouse server goes away while an app records and comes back on
// the same port; every span reaches it exactly once, through the recording log the app ships,
// also when the app exits during the outage and a later process ships what it left.
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

/** The harness's ClickHouse server, for `tracetape query`. */
function server(): Record<string, string> {
  return { TRACETAPE_CLICKHOUSE_URL: `http://127.0.0.1:${port}` };
}

function envFor(name: string, calls: number): Record<string, string> {
  return {
    TRACETAPE_CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
    TRACETAPE_LOG_DIR: path.join(work.dir, `${name}-log`),
    TRACETAPE_RUN_FILE: path.join(work.dir, `${name}.runs`),
    UPSTREAM_URL: upstream.url,
    CALLS: String(calls),
  };
}

async function restart(): Promise<void> {
  clickhouse = await startClickHouseHttpHarness(data, { port });
}

it('keeps the spans of an outage mid-run and sends each exactly once when the store is back', async () => {
  const calls = 9;
  const env = envFor('midrun', calls);
  const app = new OutageApp(work.dir, { ...env, METRICS: '1' });
  for (let n = 1; n <= 3; n++) await app.call(n);
  await clickhouse.close();
  for (let n = 4; n <= 6; n++) await app.call(n);
  // The calls made while the store was away wait in the log, not lost.
  await until('the outage\'s spans waiting in the log', () => waitingSpans(env.TRACETAPE_LOG_DIR!) >= 3);
  await restart();
  await app.call(7);
  // The counters reach the app's MeterProvider: the outage's spans were held in the log, then shipped, none lost.
  await app.expectDrainedInMetrics(7, 3);
  for (let n = 8; n <= calls; n++) await app.call(n);
  expect(await app.exited, app.stderr).toBe(0);
  if (logSegments(env.TRACETAPE_LOG_DIR!).length > 0) {
    // The app may have exited before its retry came round; the next process ships what is left.
    const drainer = await runProcess(process.execPath, ['--import', REGISTER, APP], { ...envFor('midrun', 0), TRACETAPE_RUN_FILE: path.join(work.dir, 'drainer.runs') }, work.dir);
    expect(drainer.code, drainer.stderr).toBe(0);
  }
  expect(logSegments(env.TRACETAPE_LOG_DIR!)).toEqual([]);
  const [traceId] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(server(), traceId!), calls);
}, 120_000);

it('ships what a run left in the log when the store was down at its exit, from the next run', async () => {
  const calls = 3;
  const env = envFor('restart', calls);
  await clickhouse.close();
  const first = new OutageApp(work.dir, env);
  for (let n = 1; n <= calls; n++) await first.call(n);
  expect(await first.exited, first.stderr).toBe(0);
  // Kept in the log at exit (each call and the run's root span) and told in one line.
  expect(waitingSpans(env.TRACETAPE_LOG_DIR!)).toBe(calls + 1);
  expect(first.stderr).toMatch(/tracetape: 4 span\(s\) still in the recording log at .*-log; they are sent when ClickHouse at http:\/\/127\.0\.0\.1:\d+ is back \(the next run, or `tracetape ingest`\)/);
  await restart();
  const second = new OutageApp(work.dir, { ...env, CALLS: '1' });
  await second.call(1);
  expect(await second.exited, second.stderr).toBe(0);
  expect(logSegments(env.TRACETAPE_LOG_DIR!)).toEqual([]);
  const [firstTrace, secondTrace] = runTraceIds(env);
  expectExactlyOnce(await storedSpans(server(), firstTrace!), calls);
  expectExactlyOnce(await storedSpans(server(), secondTrace!), 1);
}, 120_000);
