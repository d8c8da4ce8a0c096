import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CLI, FIXTURES, REPO_ROOT, recordedTraceId, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const REGISTER = path.join(REPO_ROOT, 'packages/register/dist/index.js');
const store = tempDir('tracetape-lifecycle-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url, nonce: Math.random() }) }));
});
afterAll(async () => {
  await upstream.close();
  store.remove();
});

interface RunFileLine {
  traceId: string;
  calls: number;
}

function readRunFile(file: string): RunFileLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunFileLine);
}

async function tapeOf(traceId: string): Promise<{ entries: Array<{ request: { normalized: { url: string } } }>; incomplete?: unknown }> {
  const result = await tracetape(['tape', traceId, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  const tape = JSON.parse(result.stdout);
  // Every way a process ends here closes its recording log: none of these runs may read incomplete.
  expect(tape.incomplete, `trace ${traceId}`).toBeUndefined();
  return tape;
}

describe('flushing when the process ends', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stores the spans of a process ended by ${signal}, which still dies by the signal`, async () => {
      const runFile = path.join(store.dir, `${signal}.jsonl`);
      const child = spawn(process.execPath, ['--import', REGISTER, path.join(FIXTURES, 'waiting-app.mjs')], {
        env: { ...process.env, ...env, UPSTREAM_URL: upstream.url, TRACETAPE_RUN_FILE: runFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      child.kill(signal);
      const [code, gotSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.once('exit', (c, s) => resolve([c, s])),
      );
      expect(gotSignal, stderr).toBe(signal);
      expect(code).toBeNull();
      const [recorded] = readRunFile(runFile);
      expect(recorded?.calls).toBe(1);
      const tape = await tapeOf(recorded!.traceId);
      expect(tape.entries.map((e) => e.request.normalized.url)).toEqual([`${upstream.url}/before-signal`]);
    });
  }

  it('records what a process holds open when Ctrl-C ends it: a WebSocket connection and a running child', async () => {
    const sockets = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    sockets.on('connection', (socket) => socket.send('welcome'));
    await new Promise<void>((resolve) => sockets.once('listening', resolve));
    let sleeper: number | undefined;
    try {
      const record = spawn(process.execPath, [CLI, 'record', '--', 'node', path.join(FIXTURES, 'open-at-signal-app.mjs')], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env, WS_URL: `ws://127.0.0.1:${(sockets.address() as AddressInfo).port}/feed` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      record.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const ended = new Promise<number | null>((resolve) => record.once('close', resolve));
      await new Promise<void>((resolve, reject) => {
        record.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const ready = /ready (\d+)/.exec(stdout);
          if (ready) [sleeper] = [Number(ready[1]), resolve()];
        });
        void ended.then(() => reject(new Error(`the app ended before it was ready:\n${stderr}`)));
      });
      // As a terminal's Ctrl-C reaches the command: record passes it on to the app, which has no
      // listener of its own, so the signal ends it with both calls still open.
      record.kill('SIGINT');
      await ended;
      expect(stdout).toContain('got welcome');
      expect(stderr).not.toMatch(/INCOMPLETE|lost/);
      const tape = await tapeOf(recordedTraceId(stderr));
      const kinds = tape.entries.map((e) => [(e as unknown as { kind: string }).kind, (e as unknown as { response: { statusText?: string } }).response.statusText]);
      expect(kinds).toEqual([
        ['websocket', 'still open at exit'],
        ['process', 'still running at exit'],
      ]);
    } finally {
      if (sleeper) process.kill(sleeper);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    }
  });

  it('stores the spans of a process killed by an uncaught exception and marks the run as failed', async () => {
    const recorded = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'crashing-app.mjs')], { ...env, UPSTREAM_URL: upstream.url });
    expect(recorded.code).toBe(1);
    expect(recorded.stderr).toContain('boom after the call');
    const traceId = recordedTraceId(recorded.stderr);
    const tape = await tapeOf(traceId);
    expect(tape.entries).toHaveLength(1);
    const traces = await tracetape(['traces', '--json', '--limit', '50'], env);
    const listed = traces.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(listed.find((t) => t.traceId === traceId)?.status).toBe('Error');
  });

  it('never breaks the app when the store is unreachable, and says what was dropped', async () => {
    const result = await runProcess(process.execPath, ['--import', REGISTER, path.join(FIXTURES, 'esm-app.mjs')], {
      UPSTREAM_URL: upstream.url,
      // Nothing listens on port 9 of loopback: every insert fails at once.
      TRACETAPE_CLICKHOUSE_URL: 'http://127.0.0.1:9',
      // A log with no room: what cannot wait for the store is lost (test/outage.test.ts covers the log waiting for it).
      TRACETAPE_LOG_DIR: path.join(store.dir, 'unreachable-log'),
      TRACETAPE_LOG_MAX_BYTES: '1',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^fetch: .*\nhttp: /);
    expect(result.stderr).toMatch(/tracetape: lost \d+ span\(s\): the recording log at .*unreachable-log would grow past 1 bytes \(TRACETAPE_LOG_MAX_BYTES\)/);
  });
});

describe('runs', () => {
  it('gives each run() and each inbound request a trace of its own', async () => {
    const runFile = path.join(store.dir, 'runs.jsonl');
    const child = spawn(process.execPath, ['--import', REGISTER, path.join(FIXTURES, 'runs-app.mjs')], {
      env: { ...process.env, ...env, UPSTREAM_URL: upstream.url, TRACETAPE_RUN_FILE: runFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString());
        if (match) resolve(match[1]!);
      }),
    );
    // The inbound request comes from outside the app (this test), without a traceparent.
    const answer = await fetch(`http://127.0.0.1:${port}/inbound`);
    expect(answer.status).toBe(200);
    await answer.text();
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);

    const traces = readRunFile(runFile);
    expect(traces).toHaveLength(3);
    const urls: string[][] = [];
    // One at a time: the embedded store admits one process at once.
    for (const trace of traces) urls.push((await tapeOf(trace.traceId)).entries.map((e) => e.request.normalized.url));
    expect(urls.sort()).toEqual([[`${upstream.url}/from-handler`], [`${upstream.url}/run/1`], [`${upstream.url}/run/2`]]);
  });
});
