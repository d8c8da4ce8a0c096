import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from './support/clickhouse-http-server.js';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// The production path: spans go to a ClickHouse server over HTTP (@clickhouse/client), here the
// ClickHouse engine (chDB) behind the HTTP interface subset the client speaks.
const data = tempDir('tracetape-server-');
let clickhouse: ClickHouseHttpHarness;
let upstream: CountingServer;

beforeAll(async () => {
  clickhouse = await startClickHouseHttpHarness(data.dir);
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url, nonce: Math.random() }) }));
});
afterAll(async () => {
  await upstream.close();
  await clickhouse.close();
  data.remove();
});

for (const app of ['esm-app.mjs', 'exit-app.mjs']) {
  it(`records ${app} into a ClickHouse server and replays it from there`, async () => {
    // The app ships its recording log to the server; a log of its own keeps other tests' runs out of it.
    const env = { TRACETAPE_CLICKHOUSE_URL: clickhouse.url, UPSTREAM_URL: upstream.url, TRACETAPE_LOG_DIR: path.join(data.dir, 'log') };
    const command = ['node', path.join(FIXTURES, app)];
    const recorded = await tracetape(['record', '--', ...command], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    const traceId = recordedTraceId(recorded.stderr);
    upstream.reset();
    const replayed = await tracetape(['replay', traceId, '--', ...command], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(upstream.count()).toBe(0);
    const listed = await tracetape(['traces', '--json'], env);
    expect(listed.stdout).toContain(traceId);
  });
}
