import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, recordedTraceId, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// One embedded store for this file; each test records its own trace into it.
const store = tempDir('tracetape-debugger-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const APP = path.join(FIXTURES, 'debug-app.mjs');
let upstream: CountingServer;
let appEnv: Record<string, string>;

beforeAll(async () => {
  upstream = await startCountingServer(({ url }, n) => ({ body: JSON.stringify({ url, n, nonce: Math.random() }) }));
  appEnv = { ...env, UPSTREAM_URL: upstream.url };
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

async function record(app = APP): Promise<{ traceId: string; stdout: string }> {
  const recorded = await tracetape(['record', '--', 'node', app], appEnv);
  expect(recorded.code, recorded.stderr).toBe(0);
  return { traceId: recordedTraceId(recorded.stderr), stdout: recorded.stdout };
}

/** Resolves when `predicate` holds for the text collected so far from `stream` (event-driven, no polling). */
function waitForOutput(stream: NodeJS.ReadableStream, collected: () => string, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    if (predicate(collected())) return resolve(collected());
    const onData = () => {
      if (!predicate(collected())) return;
      stream.off('data', onData);
      resolve(collected());
    };
    stream.on('data', onData);
  });
}

/** A minimal Chrome DevTools Protocol client over Node's global WebSocket. */
async function connectInspector(url: string) {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  let nextId = 0;
  const replies = new Map<number, (result: Record<string, unknown>) => void>();
  const events: Array<{ method: string; params: Record<string, unknown> }> = [];
  const waiters: Array<{ method: string; resolve: (params: Record<string, unknown>) => void }> = [];
  socket.addEventListener('message', (message) => {
    const data = JSON.parse(String(message.data)) as { id?: number; result?: Record<string, unknown>; method?: string; params?: Record<string, unknown> };
    if (data.id !== undefined) replies.get(data.id)?.(data.result ?? {});
    if (!data.method) return;
    const waiter = waiters.findIndex((w) => w.method === data.method);
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(data.params ?? {});
    else events.push({ method: data.method, params: data.params ?? {} });
  });
  return {
    send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
      const id = ++nextId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => replies.set(id, resolve));
    },
    /** Sends without waiting for the reply (a command the target answers only after it resumes). */
    post(method: string, params: Record<string, unknown> = {}): void {
      socket.send(JSON.stringify({ id: ++nextId, method, params }));
    },
    next(method: string): Promise<Record<string, unknown>> {
      const queued = events.findIndex((event) => event.method === method);
      if (queued >= 0) return Promise.resolve(events.splice(queued, 1)[0]!.params);
      return new Promise((resolve) => waiters.push({ method, resolve }));
    },
    close: () => socket.close(),
  };
}

describe('--break-at', () => {
  it('pauses under the inspector just before the tape answers the step, then finishes identically', async () => {
    const { traceId, stdout: recordedStdout } = await record();
    upstream.reset();
    // Port 0: a free port, so parallel test files never collide on 9229.
    const child = spawn(process.execPath, [CLI, 'replay', traceId, '--break-at', '2', '--', 'node', APP], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...appEnv, NODE_OPTIONS: '--inspect-port=0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const banner = await waitForOutput(child.stderr, () => stderr, (text) => /Debugger listening on ws:\/\/\S+/.test(text));
      const url = /Debugger listening on (ws:\/\/\S+)/.exec(banner)![1]!;
      const inspector = await connectInspector(url);
      try {
        await inspector.send('Runtime.enable');
        await inspector.send('Debugger.enable');
        inspector.post('Runtime.runIfWaitingForDebugger');
        const paused = (await inspector.next('Debugger.paused')) as { callFrames: Array<{ callFrameId: string; functionName: string }> };
        expect(paused.callFrames[0]!.functionName).toBe('pauseBeforeStep');
        const step = await inspector.send('Debugger.evaluateOnCallFrame', { callFrameId: paused.callFrames[0]!.callFrameId, expression: 'step' });
        expect((step.result as { value: unknown }).value).toBe(2);

        // Step 1 was answered and printed (stdout is a pipe: written synchronously before the pause) …
        await waitForOutput(child.stdout, () => stdout, (text) => text.includes('first: '));
        // … step 2 was not: the process is stopped in the listener that would answer it.
        expect(stdout).not.toContain('second: ');
        expect(stderr).toContain('tracetape: paused before step 2 (POST ');

        inspector.post('Debugger.resume');
        // Node keeps a process with an attached debugger alive at exit until the debugger leaves.
        await waitForOutput(child.stdout, () => stdout, (text) => text.includes('second: '));
      } finally {
        inspector.close();
      }
      expect(await exited, stderr).toBe(0);
      expect(stdout).toBe(recordedStdout);
      expect(upstream.count()).toBe(0);
    } finally {
      child.kill();
    }
  });

  it('refuses a step the tape does not hold, before running anything', async () => {
    const { traceId } = await record();
    const result = await tracetape(['replay', traceId, '--break-at', '7', '--', 'node', APP], appEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--break-at 7: the tape of trace');
    expect(result.stderr).toContain('has no step 7 (its steps are 1 to 2)');
    expect(result.stdout).toBe('');
  });
});

describe('--override', () => {
  it('answers the step with the response from the file and says so in the report', async () => {
    const { traceId, stdout: recordedStdout } = await record();
    const work = tempDir('tracetape-override-');
    try {
      const raw = path.join(work.dir, 'step1.txt');
      fs.writeFileSync(raw, 'what if the model had said this?');
      const envelope = path.join(work.dir, 'step2.json');
      fs.writeFileSync(envelope, JSON.stringify({ status: 503, body: { error: 'overloaded' } }));
      upstream.reset();
      const replayed = await tracetape(['replay', traceId, '--override', `1=${raw}`, '--override', `2=${envelope}`, '--', 'node', APP], appEnv);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe('first: 200 what if the model had said this?\nsecond: 503 {"error":"overloaded"}\n');
      expect(recordedStdout).not.toContain('what if');
      expect(upstream.count()).toBe(0);
      expect(replayed.stderr).toContain(`overridden: step 1 POST ${upstream.url}/step/first answered with the --override response (200)`);
      expect(replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked, 2 side effect\(s\) suppressed, 2 overridden/);
    } finally {
      work.remove();
    }
  });

  it('refuses a bad step, a missing file and malformed JSON with a clear error and exit 2', async () => {
    const { traceId } = await record();
    const work = tempDir('tracetape-override-');
    try {
      const body = path.join(work.dir, 'body.txt');
      fs.writeFileSync(body, 'x');
      const broken = path.join(work.dir, 'broken.json');
      fs.writeFileSync(broken, '{"body": ');
      const cases: Array<[string, string]> = [
        [`9=${body}`, 'has no step 9 (its steps are 1 to 2)'],
        [`zero=${body}`, '--override needs a step number (1, 2, …), not "zero"'],
        [`1=${path.join(work.dir, 'missing.json')}`, `cannot read ${path.join(work.dir, 'missing.json')} (no such file)`],
        [`1=${broken}`, 'the file is not valid JSON'],
        [body, '--override needs <step>=<file>'],
      ];
      for (const [argument, message] of cases) {
        const result = await tracetape(['replay', traceId, '--override', argument, '--', 'node', APP], appEnv);
        expect(result.code, argument).toBe(2);
        expect(result.stderr, argument).toContain(message);
        expect(result.stdout, argument).toBe('');
      }
    } finally {
      work.remove();
    }
  });
});

describe('--then-live', () => {
  it('serves the recorded prefix, makes only the new call live, and records a trace linked to the original', async () => {
    // Inside the repository, like the divergence test: the copy is "the app, fixed to go one step further".
    const work = tempDir('debug-then-live-', FIXTURES);
    try {
      const app = path.join(work.dir, 'agent.mjs');
      fs.copyFileSync(APP, app);
      const { traceId, stdout: recordedStdout } = await record(app);
      fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace("['first', 'second']", "['first', 'second', 'third']"));

      upstream.reset();
      const continued = await tracetape(['replay', traceId, '--then-live', '--', 'node', app], appEnv);
      expect(continued.code, continued.stderr).toBe(0);
      expect(upstream.count()).toBe(1);
      expect(continued.stdout.startsWith(recordedStdout)).toBe(true);
      expect(continued.stdout).toMatch(/\nthird: 200 \{"url":"\/step\/third"/);
      expect(continued.stderr).toContain(`live: call #3 POST ${upstream.url}/step/third went to the network (not on the tape`);
      expect(continued.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked, 2 side effect\(s\) suppressed, 1 live/);
      const newTraceId = recordedTraceId(continued.stderr);
      expect(newTraceId).not.toBe(traceId);
      expect(continued.stderr).toContain(`recorded trace ${newTraceId} (agent.mjs, 3 calls, 2 from the tape of ${traceId}, 1 live)`);

      const rows = await tracetape(
        [
          'query',
          `SELECT SpanName, ParentSpanId, SpanAttributes['tracetape.replay.of'] AS replayOf, SpanAttributes['tracetape.replay.step'] AS step, ` +
            `Links.TraceId AS linkedTraces FROM otel_traces WHERE TraceId = '${newTraceId}' ORDER BY Timestamp`,
          '--format',
          'json',
        ],
        env,
      );
      expect(rows.code, rows.stderr).toBe(0);
      const spans = parseRows(rows.stdout);
      const root = spans.find((span) => span.ParentSpanId === '')!;
      expect(root.replayOf).toBe(traceId);
      expect(root.linkedTraces).toEqual([traceId]);
      // The calls answered from the tape are in the new trace too (so it replays on its own), marked with their step.
      expect(spans.map((span) => span.step).filter(Boolean).sort()).toEqual(['1', '2']);

      upstream.reset();
      const again = await tracetape(['replay', newTraceId, '--', 'node', app], appEnv);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(continued.stdout);
      expect(upstream.count()).toBe(0);
      expect(again.stderr).toMatch(/3 served, 0 unconsumed, 0 blocked/);
    } finally {
      work.remove();
    }
  });
});

/** `tracetape query --format json` output: JSONEachRow, one object per line. */
function parseRows(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
