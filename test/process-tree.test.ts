import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// A run is all its processes: the app, the node child it starts and its worker thread record into
// one trace, and replay runs all three against their own parts of the tape.
const tmp = tempDir('tracetape-process-tree-');
const store = { TRACETAPE_DIR: path.join(tmp.dir, 'store') };
const command = ['node', path.join(FIXTURES, 'process-tree-app.mjs')];
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url, nonce: Math.random() }) }));
});

afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

describe('a run of several processes', () => {
  it('records the app, its child process and its worker into one trace, and replays them whole without the network', async () => {
    // Every process appends to the recording log at once; the first reading command stores it.
    const recorded = await tracetape(['record', '--', ...command], { ...store, UPSTREAM_URL: upstream.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toMatch(/^parent: \{"url":"\/parent".*\nchild process said: \{"url":"\/child".* id=[0-9a-f-]{36}\nworker said: \{"url":"\/worker".* id=[0-9a-f-]{36}\n$/);
    expect(upstream.count()).toBe(3);
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(process-tree-app\.mjs, 3 calls\)/);
    const traceId = recordedTraceId(recorded.stderr);

    const calls = await queryRows<{ TraceId: string; url: string; process: string }>(
      "SELECT TraceId, JSONExtractString(SpanAttributes['tracetape.request'], 'normalized', 'url') AS url, ResourceAttributes['tracetape.process.path'] AS process " +
        "FROM otel_traces WHERE SpanAttributes['tracetape.input.hash'] != '' ORDER BY process",
      store,
    );
    expect(calls.map(({ TraceId, url, process }) => ({ TraceId, path: new URL(url).pathname, process }))).toEqual([
      { TraceId: traceId, path: '/parent', process: '0' },
      { TraceId: traceId, path: '/child', process: '0.1' },
      { TraceId: traceId, path: '/worker', process: '0.w1' },
    ]);

    const tape = await tracetape(['tape', traceId], store);
    expect(tape.code, tape.stderr).toBe(0);
    expect(tape.stdout).toMatch(/\/parent[\s\S]*\/child[\s\S]*\/worker/);
    // Each of the three processes ended its log: the run is whole.
    expect(tape.stdout).not.toContain('INCOMPLETE');
    const runs = await queryRows<{ ProcessPath: string; State: string }>(
      `SELECT ProcessPath, argMax(State, Updated) AS State FROM tracetape_runs WHERE TraceId = '${traceId}' GROUP BY ProcessPath ORDER BY ProcessPath`,
      store,
    );
    expect(runs).toEqual([
      { ProcessPath: '0', State: 'complete' },
      { ProcessPath: '0.1', State: 'complete' },
      { ProcessPath: '0.w1', State: 'complete' },
    ]);

    await upstream.close();
    upstream.reset();
    const replayed = await tracetape(['replay', traceId, '--', ...command], { ...store, UPSTREAM_URL: upstream.url });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(upstream.count()).toBe(0);
    expect(replayed.stderr).toContain(`replay of ${traceId}: 3 served, 0 unconsumed, 0 blocked`);
    // The child's and the worker's random IDs came from their own recordings.
    expect(replayed.stderr).toMatch(/uuid reads: 2 of 2 recorded served/);
  }, 180_000);
});
