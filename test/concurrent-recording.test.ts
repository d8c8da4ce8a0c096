import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, runProcess, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { waitFor } from './support/log-contents.js';

// Five processes record into one store at once while a sixth keeps reading it.
const store = tempDir('tracetape-concurrent-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const APP = path.join(FIXTURES, 'steady-calls-app.mjs');
// Enough rounds, paused, to outlast the hook's one-second flush several times over.
const CALLS = 80;
const APP_ENV = { CALLS: String(CALLS), CONCURRENCY: '4', PAUSE_MS: '60' };
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url, nonce: Math.random() }) }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

/** What an engine says when two processes open one store: never to be seen. */
const ENGINE_ERROR = /Code: \d+|Cannot lock file|DB::Exception|Segmentation|SIGSEGV/;

interface Recorded {
  label: string;
  result: CliResult;
  traceId: string;
  calls: number;
}

function appSaid(result: CliResult): { traceId: string; calls: number } {
  const traceId = /^trace ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
  const calls = /^made (\d+) calls$/m.exec(result.stdout)?.[1];
  if (!traceId || !calls) throw new Error(`the app did not say its trace and calls:\n${result.stdout}\n${result.stderr}`);
  return { traceId, calls: Number(calls) };
}

describe('five processes recording into one store while another reads it', () => {
  it('stores every span exactly once, never shows an engine error to the reader, and every trace replays', async () => {
    const apps = ['a', 'b', 'c', 'd', 'e'].map((label, i) => {
      const appEnv = { ...env, ...APP_ENV, UPSTREAM_URL: upstream.url, APP_LABEL: label };
      // Three through the CLI, two with the hook alone.
      const result = i < 3 ? tracetape(['record', '--', 'node', APP], appEnv) : runProcess(process.execPath, ['--import', '@tracetape/register', APP], appEnv);
      return result.then((r): Recorded => ({ label, result: r, ...appSaid(r) }));
    });
    let recording = true;
    const settled = Promise.allSettled(apps).finally(() => (recording = false));

    // The reader: `tracetape traces --json` over and over until the five are done, from the moment
    // the first app has written its log (before that the directory holds no store, which is an error).
    await waitFor('the first app to start its recording log', () => fs.existsSync(path.join(env.TRACETAPE_DIR, 'tracetape-log')));
    const polls: CliResult[] = [];
    const seenRecording = new Set<string>();
    while (recording) {
      const poll = await tracetape(['traces', '--json', '--limit', '50'], env);
      polls.push(poll);
      expect(poll.code, poll.stderr).toBe(0);
      expect(poll.stderr).not.toMatch(ENGINE_ERROR);
      for (const line of poll.stdout.split('\n').filter(Boolean)) {
        const listed = JSON.parse(line) as { traceId: string; state?: string };
        if (listed.state === 'recording') seenRecording.add(listed.traceId);
      }
    }
    const recorded = await Promise.all(apps);
    await settled;
    // The reader really read while they wrote, and saw runs still being recorded.
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(seenRecording.size).toBeGreaterThan(0);

    for (const { label, result, traceId, calls } of recorded) {
      expect(result.code, `${label}: ${result.stderr}`).toBe(0);
      expect(calls).toBe(CALLS);
      expect(result.stderr).not.toMatch(ENGINE_ERROR);
      expect(result.stderr).not.toMatch(/lost|INCOMPLETE|dropped/);
    }
    for (const { result, traceId } of recorded.slice(0, 3)) {
      expect(recordedTraceId(result.stderr)).toBe(traceId);
      expect(result.stderr).toContain(`(steady-calls-app.mjs, ${CALLS} calls)`);
    }

    const ids = recorded.map((r) => r.traceId);
    const rows = await queryRows<{ TraceId: string; rows: string; spans: string; calls: string; roots: string }>(
      `SELECT TraceId, count() AS rows, uniqExact(SpanId) AS spans,
              countIf(mapContains(SpanAttributes, 'tracetape.input.hash')) AS calls, countIf(ParentSpanId = '') AS roots
       FROM otel_traces WHERE TraceId IN (${ids.map((id) => `'${id}'`).join(', ')}) GROUP BY TraceId ORDER BY TraceId`,
      env,
    );
    expect(rows.map((r) => r.TraceId).sort()).toEqual([...ids].sort());
    for (const row of rows) {
      // Each call once, the run's root once, and no span stored twice.
      expect(Number(row.calls), row.TraceId).toBe(CALLS);
      expect(Number(row.roots), row.TraceId).toBe(1);
      expect(Number(row.rows), row.TraceId).toBe(Number(row.spans));
    }

    // Every run reads complete now, and the log was emptied into the store.
    const final = await tracetape(['traces', '--json', '--limit', '50'], env);
    expect(final.code, final.stderr).toBe(0);
    const listed = final.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { traceId: string; state?: string; recordedCalls: number });
    for (const id of ids) expect(listed.find((t) => t.traceId === id)).toMatchObject({ recordedCalls: CALLS });
    expect(listed.filter((t) => t.state !== undefined)).toEqual([]);

    // Every trace replays with the upstream still listening and hearing nothing.
    upstream.reset();
    const replays = await Promise.all(
      recorded.map(({ label, traceId }) => tracetape(['replay', traceId, '--', 'node', APP], { ...env, ...APP_ENV, UPSTREAM_URL: upstream.url, APP_LABEL: label })),
    );
    for (const [i, replay] of replays.entries()) {
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toContain(`made ${CALLS} calls`);
      expect(replay.stderr).toContain(`${CALLS} served, 0 unconsumed, 0 blocked`);
      expect(replay.stderr, recorded[i]!.label).not.toMatch(ENGINE_ERROR);
    }
    expect(upstream.count()).toBe(0);
  }, 150_000);
});
