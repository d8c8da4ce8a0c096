import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { INGEST_STATE_FILE, logDirOf } from '@tracetape/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, queryRows, REPO_ROOT, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { readLog, waitFor } from './support/log-contents.js';

// `tracetape ingest` killed with SIGKILL in the middle of its insert, then run again.
const store = tempDir('tracetape-ingest-crash-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const logDir = logDirOf(env.TRACETAPE_DIR);
const stateFile = path.join(logDir, INGEST_STATE_FILE);
const APP = path.join(FIXTURES, 'steady-calls-app.mjs');
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url }) }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

/** Starts `tracetape ingest`, and kills it with SIGKILL the moment its state announces an insert. */
async function killIngestMidInsert(): Promise<boolean> {
  const child = spawn(process.execPath, [CLI, 'ingest'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const done = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => ((exited = true), resolve(signal))));
  const pending = await waitFor(
    'the ingester to announce an insert, or to finish',
    () => {
      if (exited) return 'finished';
      try {
        return fs.readFileSync(stateFile, 'utf8').includes('"pending"') ? 'pending' : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
    2,
  );
  if (pending === 'pending') child.kill('SIGKILL');
  const signal = await done;
  if (pending === 'finished') expect(stderr).toMatch(/tracetape ingest: stored/);
  return signal === 'SIGKILL';
}

describe('an ingester killed mid-insert, then run again', () => {
  it('stores every span of the log exactly once', async () => {
    // Two apps, thousands of calls with 4 KB bodies between them.
    const apps = await Promise.all(
      ['left', 'right'].map((label) =>
        runProcess(process.execPath, ['--import', '@tracetape/register', APP], {
          ...env,
          UPSTREAM_URL: upstream.url,
          APP_LABEL: label,
          CALLS: '1500',
          CONCURRENCY: '30',
          PAUSE_MS: '0',
          BODY_BYTES: '4096',
        }),
      ),
    );
    const traceIds = apps.map((app) => {
      expect(app.code, app.stderr).toBe(0);
      return /^trace ([0-9a-f]{32})$/m.exec(app.stdout)![1]!;
    });
    const inLog = readLog(logDir);
    const expected = traceIds.map((id) => inLog.spans.get(id) ?? 0);
    expect(expected.every((n) => n === 1501)).toBe(true);

    // Killed while its insert runs: up to three tries, each against what the last one left.
    let killed = 0;
    for (let attempt = 0; attempt < 3 && killed === 0 && readLog(logDir).segments.length > 0; attempt++) {
      if (await killIngestMidInsert()) killed++;
    }
    expect(killed, 'no ingest was caught mid-insert').toBe(1);
    expect(fs.readFileSync(stateFile, 'utf8')).toContain('"pending"');

    const again = await tracetape(['ingest'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/unreadable|could not|Code: \d+/);
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8'))).toEqual({ version: 1, offsets: {} });
    expect(readLog(logDir).segments).toEqual([]);

    const rows = await queryRows<{ TraceId: string; rows: string; distinct: string }>(
      `SELECT TraceId, count() AS rows, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces
       WHERE TraceId IN (${traceIds.map((id) => `'${id}'`).join(', ')}) GROUP BY TraceId ORDER BY TraceId`,
      env,
    );
    const byTrace = new Map(rows.map((r) => [r.TraceId, { rows: Number(r.rows), distinct: Number(r.distinct) }]));
    traceIds.forEach((id, i) => expect(byTrace.get(id), id).toEqual({ rows: expected[i], distinct: expected[i] }));

    const listed = await tracetape(['traces', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toBe('');
    const traces = listed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { traceId: string; state?: string; spanCount: number });
    for (const [i, id] of traceIds.entries()) expect(traces.find((t) => t.traceId === id)).toEqual(expect.objectContaining({ spanCount: expected[i] }));
    expect(traces.filter((t) => t.state !== undefined)).toEqual([]);
  }, 120_000);
});
