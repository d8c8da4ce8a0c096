import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { logDirOf, readSegment, RecordType } from '@tracetape/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { readLog, waitFor } from './support/log-contents.js';

// Apps killed with SIGKILL while recording: what they flushed is stored, the rest is said to be missing.
const store = tempDir('tracetape-crash-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const logDir = logDirOf(env.TRACETAPE_DIR);
const APP = path.join(FIXTURES, 'steady-calls-app.mjs');
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url }) }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

interface RunningApp {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<NodeJS.Signals | null>;
}

/** The app with the register hook, making calls until it is killed. */
function startApp(label: string): RunningApp {
  const child = spawn(process.execPath, ['--import', '@tracetape/register', APP], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, UPSTREAM_URL: upstream.url, APP_LABEL: label, CALLS: '0', CONCURRENCY: '2', PAUSE_MS: '5' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.resume();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return { child, stdout: () => stdout, exited };
}

function traceIdOf(app: RunningApp): string {
  const id = /^trace ([0-9a-f]{32})$/m.exec(app.stdout())?.[1];
  if (!id) throw new Error(`the app did not say its trace:\n${app.stdout()}`);
  return id;
}

/** Waits until the app's writer has flushed `records` span records into the log, then kills it with SIGKILL. */
async function killAfterFlushes(app: RunningApp, records: number): Promise<void> {
  await waitFor(`${records} span records from pid ${app.child.pid}`, () => {
    const mine = readLog(logDir);
    return mine.segments.some((s) => s.pid === app.child.pid) && mine.spanRecords >= records;
  });
  app.child.kill('SIGKILL');
  expect(await app.exited).toBe('SIGKILL');
}

async function storedSpans(traceId: string): Promise<{ rows: number; distinct: number }> {
  const [row] = await queryRows<{ rows: string; distinct: string }>(
    `SELECT count() AS rows, uniqExact(SpanId) AS distinct FROM otel_traces WHERE TraceId = '${traceId}'`,
    env,
  );
  return { rows: Number(row!.rows), distinct: Number(row!.distinct) };
}

describe('an app killed with SIGKILL while recording', () => {
  it('stores everything it flushed, marks its run INCOMPLETE with the reason, and says it once', async () => {
    const app = startApp('killed');
    await killAfterFlushes(app, 3);
    const traceId = traceIdOf(app);
    // Exactly what reached the log before the kill: whole records only.
    const inLog = readLog(logDir);
    const flushed = inLog.spans.get(traceId) ?? 0;
    expect(flushed).toBeGreaterThan(0);
    expect(inLog.controls).toContainEqual(expect.objectContaining({ kind: 'run-start', traceId }));
    expect(inLog.controls.filter((c) => c.kind === 'end')).toEqual([]);
    const torn = inLog.stops.some((stop) => stop.kind !== 'clean');

    const listed = await tracetape(['traces'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).not.toMatch(/Code: \d+|Error/);
    // A kill that landed mid-write leaves a torn tail, said once; either way the run is incomplete.
    if (torn) expect(listed.stderr).toMatch(/unreadable byte\(s\)/);
    else expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(new RegExp(`^${traceId}\\s.*INCOMPLETE`, 'm'));
    expect(listed.stdout).toContain(`${traceId}: INCOMPLETE, spans missing: process ${app.child.pid} ended without closing its recording log`);

    expect(await storedSpans(traceId)).toEqual({ rows: flushed, distinct: flushed });
    expect(readLog(logDir).segments).toEqual([]);

    const again = await tracetape(['traces'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain(`${traceId}: INCOMPLETE`);
  });

  it('reports a torn tail made by hand in a dead writer\'s segment, and stores the records before it', async () => {
    const app = startApp('torn');
    await killAfterFlushes(app, 2);
    const traceId = traceIdOf(app);
    const [segment] = readLog(logDir).segments.filter((s) => s.pid === app.child.pid);
    const { records } = readSegment(segment!.path, 0);
    const last = records.findLast((r) => r.type === RecordType.Rows)!;
    // Cut the last span record in its middle, dropping whatever followed it.
    const cut = last.offset + Math.floor((last.end - last.offset) / 2);
    fs.truncateSync(segment!.path, cut);
    const kept = readLog(logDir);
    expect(kept.stops).toEqual([{ kind: 'incomplete', offset: last.offset }]);
    const flushed = kept.spans.get(traceId) ?? 0;
    expect(flushed).toBeGreaterThan(0);

    const listed = await tracetape(['traces'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toContain(`the recording log ${segment!.path} ended in ${cut - last.offset} unreadable byte(s) (a record cut off at byte ${last.offset}`);
    expect(listed.stderr).toContain(`the runs process ${app.child.pid} was recording are marked incomplete`);
    expect(listed.stdout).toContain(`${traceId}: INCOMPLETE`);
    expect(await storedSpans(traceId)).toEqual({ rows: flushed, distinct: flushed });

    const again = await tracetape(['traces'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
  });
});
