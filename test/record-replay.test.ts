import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, startRecordingServer, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { chatCompletionAnswer } from './support/openai-compatible.js';

// One embedded store for this file; each test records its own trace into it.
const store = tempDir('tracetape-e2e-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
let upstream: CountingServer;
let llm: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ method, url, body }) => ({
    body: JSON.stringify({ method, url, got: body, nonce: Math.random() }),
  }));
  llm = await startCountingServer(({ body }, n) => chatCompletionAnswer(body, n));
});

afterAll(async () => {
  await upstream.close();
  await llm.close();
  store.remove();
});

/** Records `command`, then replays it from the trace ID with the servers still up but counting. */
async function recordThenReplay(command: string[], extraEnv: Record<string, string>) {
  const recorded = await tracetape(['record', '--', ...command], { ...env, ...extraEnv });
  expect(recorded.code, recorded.stderr).toBe(0);
  const traceId = recordedTraceId(recorded.stderr);
  upstream.reset();
  llm.reset();
  const replayed = await tracetape(['replay', traceId, '--', ...command], { ...env, ...extraEnv });
  return { recorded, replayed, traceId, callsDuringReplay: upstream.count() + llm.count() };
}

describe('record then replay', () => {
  it('replays an ESM app using fetch and http with identical output and no network', async () => {
    const { recorded, replayed, callsDuringReplay } = await recordThenReplay(['node', path.join(FIXTURES, 'esm-app.mjs')], {
      UPSTREAM_URL: upstream.url,
    });
    expect(recorded.stdout).toMatch(/^fetch: .*\nhttp: /);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(callsDuringReplay).toBe(0);
    expect(replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked, 2 side effect\(s\) suppressed/);
  });

  it('replays a run recorded from the diagnostics channels (TRACETAPE_CAPTURE_SOURCE=channels), OpenAI SDK included', async () => {
    // Replay reads calls with the interceptor: the hashes the channels recorded must match what it sees.
    const app = await recordThenReplay(['node', path.join(FIXTURES, 'esm-app.mjs')], {
      UPSTREAM_URL: upstream.url,
      TRACETAPE_CAPTURE_SOURCE: 'channels',
    });
    expect(app.recorded.stdout).toMatch(/^fetch: .*\nhttp: /);
    expect(app.replayed.code, app.replayed.stderr).toBe(0);
    expect(app.replayed.stdout).toBe(app.recorded.stdout);
    expect(app.callsDuringReplay).toBe(0);
    expect(app.replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked/);

    for (const stream of ['0', '1']) {
      const agent = await recordThenReplay(['node', path.join(FIXTURES, 'openai-app.mjs')], {
        OPENAI_BASE_URL: `${llm.url}/v1`,
        STREAM: stream,
        TRACETAPE_CAPTURE_SOURCE: 'channels',
      });
      expect(agent.recorded.stdout).toMatch(stream === '1' ? /^streamed \d+ chunks: answer \d+: / : /^answer: answer \d+: /);
      expect(agent.replayed.code, agent.replayed.stderr).toBe(0);
      expect(agent.replayed.stdout).toBe(agent.recorded.stdout);
      expect(agent.callsDuringReplay).toBe(0);
    }

    const bogus = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'esm-app.mjs')], {
      ...env,
      UPSTREAM_URL: upstream.url,
      TRACETAPE_CAPTURE_SOURCE: 'sockets',
    });
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr).toContain('TRACETAPE_CAPTURE_SOURCE must be interceptor or channels, not "sockets".');
  });

  it('replays a CommonJS app using fetch and http', async () => {
    const { recorded, replayed, callsDuringReplay } = await recordThenReplay(['node', path.join(FIXTURES, 'cjs-app.cjs')], {
      UPSTREAM_URL: upstream.url,
    });
    expect(recorded.stdout).toContain('from commonjs');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(callsDuringReplay).toBe(0);
  });

  for (const stream of ['0', '1']) {
    it(`replays the openai SDK with streaming ${stream === '1' ? 'on' : 'off'}`, async () => {
      const command = ['node', path.join(FIXTURES, 'openai-app.mjs')];
      const { recorded, replayed, traceId, callsDuringReplay } = await recordThenReplay(command, {
        OPENAI_BASE_URL: `${llm.url}/v1`,
        STREAM: stream,
      });
      expect(recorded.stdout).toMatch(stream === '1' ? /^streamed \d+ chunks: answer \d+: / : /^answer: answer \d+: /);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(callsDuringReplay).toBe(0);
      // The model answers differently every time: only the replay reproduces the recorded answer.
      const plain = await tracetape(['record', '--', ...command], { ...env, OPENAI_BASE_URL: `${llm.url}/v1`, STREAM: stream });
      expect(plain.stdout).not.toBe(recorded.stdout);
      if (stream === '1') {
        const tape = await tracetape(['tape', traceId, '--json'], env);
        const entry = JSON.parse(tape.stdout).entries[0];
        expect(entry.response.chunks.length).toBeGreaterThan(3);
        expect(entry.response.chunks.at(-1).body.data).toBe('data: [DONE]\n\n');
      }
    });
  }

  it('replays HTTPS calls made with fetch and https.get', async () => {
    const tls = {
      key: fs.readFileSync(path.join(FIXTURES, 'tls/localhost-key.pem')),
      cert: fs.readFileSync(path.join(FIXTURES, 'tls/localhost-cert.pem')),
    };
    const secure = await startCountingServer(({ url, body }) => ({ body: JSON.stringify({ url, body, nonce: Math.random() }) }), tls);
    try {
      const command = ['node', path.join(FIXTURES, 'https-app.mjs')];
      const appEnv = { ...env, TLS_PORT: new URL(secure.url).port, NODE_EXTRA_CA_CERTS: path.join(FIXTURES, 'tls/localhost-cert.pem') };
      const recorded = await tracetape(['record', '--', ...command], appEnv);
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stderr).toMatch(/\(https-app\.mjs, 2 calls\)/);
      secure.reset();
      const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--', ...command], appEnv);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(secure.count()).toBe(0);
    } finally {
      await secure.close();
    }
  });

  it('records and replays an app started by a wrapper process, as `npm start` would', async () => {
    const command = ['node', path.join(FIXTURES, 'wrapper.mjs'), path.join(FIXTURES, 'esm-app.mjs')];
    const { recorded, replayed, callsDuringReplay } = await recordThenReplay(command, { UPSTREAM_URL: upstream.url });
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(esm-app\.mjs, 2 calls\)/);
    expect(recorded.stderr).not.toContain('wrapper.mjs, 0 calls');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(callsDuringReplay).toBe(0);
    // Both processes replayed under the hook; the report adds them up.
    expect(replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked/);
  });

  it('replays concurrent calls whose responses arrive in another order, and identical repeats in recorded order', async () => {
    const slowFirst = await startCountingServer(({ url }, n) => ({
      // At record time item 1 answers last and item 5 first; at replay everything answers at once.
      delayMs: url.startsWith('/item/') ? (6 - Number(url.slice(6))) * 40 : 0,
      body: JSON.stringify({ url, n, nonce: Math.random() }),
    }));
    try {
      const command = ['node', path.join(FIXTURES, 'concurrent-app.mjs')];
      const recorded = await tracetape(['record', '--', ...command], { ...env, UPSTREAM_URL: slowFirst.url });
      expect(recorded.code, recorded.stderr).toBe(0);
      const traceId = recordedTraceId(recorded.stderr);
      slowFirst.reset();
      const replayed = await tracetape(['replay', traceId, '--', ...command], { ...env, UPSTREAM_URL: slowFirst.url });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(slowFirst.count()).toBe(0);
      expect(replayed.stderr).toMatch(/6 served, 0 unconsumed, 0 blocked/);
    } finally {
      await slowFirst.close();
    }
  });

  it('records a call still waiting when the script exits as unanswered, and the replay leaves it unanswered', async () => {
    const silent = await startCountingServer(() => new Promise(() => undefined));
    try {
      const command = ['node', path.join(FIXTURES, 'exit-mid-call.mjs')];
      const recorded = await tracetape(['record', '--', ...command], { ...env, UPSTREAM_URL: silent.url });
      expect(silent.count()).toBe(1);
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(exit-mid-call\.mjs, 1 call\)/);
      expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
      const replayed = await tracetape(['replay', recordedTraceId(recorded.stderr), '--strict', '--', ...command], { ...env, UPSTREAM_URL: silent.url });
      // The script ends itself, as it did: nothing answers its call, and nothing raises a signal.
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).not.toContain('ended by');
      expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
      expect(silent.count()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('says INCOMPLETE, not recorded, for a script that exits while an answer is still arriving', async () => {
    // Headers and the first part of the body, then nothing: what the call got is not all it would have.
    const stalled = await startCountingServer(() => ({ headers: { 'content-type': 'text/plain' }, body: ['first part, ', 'the rest'], chunkDelayMs: 60_000 }));
    try {
      const recorded = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'exit-mid-body.mjs')], { ...env, UPSTREAM_URL: stalled.url });
      expect(recorded.stdout).toContain('first part');
      expect(recorded.code).toBe(1);
      expect(recorded.stderr).toMatch(/trace [0-9a-f]{32} \(exit-mid-body\.mjs, 0 calls\) is INCOMPLETE: 1 span\(s\) were lost: a call captured whose span was never saved: still in flight when the process ended/);
      expect(recorded.stderr).not.toContain('recorded trace');
    } finally {
      await stalled.close();
    }
  });

  it('records the call of a request in flight when Ctrl-C stopped the server as unanswered, in the request\'s trace', async () => {
    let arrived: () => void = () => undefined;
    const called = new Promise<void>((resolve) => (arrived = resolve));
    const silent = await startCountingServer(() => {
      arrived();
      return new Promise(() => undefined);
    });
    try {
      const server = await startRecordingServer(path.join(FIXTURES, 'server-app.mjs'), { ...env, UPSTREAM_URL: silent.url });
      // The caller's trace: the request, and the call its handler makes, are recorded in it.
      const traceId = 'ab'.repeat(16);
      const answer = fetch(`http://127.0.0.1:${server.port}/answer`, {
        method: 'POST',
        headers: { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` },
        body: JSON.stringify({ question: 'refund?' }),
      }).catch(() => undefined);
      await called;
      server.signal('SIGINT');
      const recorded = await server.ended;
      await answer;
      expect(recorded.stderr).toContain(`recorded trace ${traceId} (1 call)`);
      expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
      // The server's own exit status, ended by the signal, stands.
      expect(recorded.code).toBe(130);
      const tape = JSON.parse((await tracetape(['tape', traceId, '--json'], env)).stdout) as {
        entries: Array<{ response: { unanswered?: { signal?: string } } }>;
        inbound?: { response: { unanswered?: { signal?: string } } };
      };
      expect(tape.entries.map((entry) => entry.response.unanswered?.signal)).toEqual(['SIGINT']);
      expect(tape.inbound?.response.unanswered?.signal).toBe('SIGINT');
      // The replay sends the request again, leaves the call unanswered, and ends the server with
      // the Ctrl-C that ended it: the request had no answer, as recorded.
      const replayed = await tracetape(['replay', traceId, '--strict', '--', 'node', path.join(FIXTURES, 'server-app.mjs')], { ...env, UPSTREAM_URL: silent.url });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toContain('inbound POST');
      expect(replayed.stderr).toContain('no answer before the process ended, as recorded');
      expect(replayed.stderr).toContain('ended by SIGINT at step 1, as the recording was');
      expect(silent.count()).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('stores the spans of a script that calls process.exit(0) right after its last call', async () => {
    const { recorded, replayed } = await recordThenReplay(['node', path.join(FIXTURES, 'exit-app.mjs')], {
      UPSTREAM_URL: upstream.url,
    });
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(exit-app\.mjs, 1 call\)/);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
  });
});

describe('divergence', () => {
  it('fails the replay when the prompt changed, naming the step and showing both values', async () => {
    // Inside the repository, so the copied app still resolves the openai package.
    const work = tempDir('tracetape-diverge-', FIXTURES);
    try {
      const app = path.join(work.dir, 'agent.mjs');
      fs.copyFileSync(path.join(FIXTURES, 'openai-app.mjs'), app);
      const appEnv = { ...env, OPENAI_BASE_URL: `${llm.url}/v1`, STREAM: '0' };
      const recorded = await tracetape(['record', '--', 'node', app], appEnv);
      expect(recorded.code, recorded.stderr).toBe(0);
      const traceId = recordedTraceId(recorded.stderr);

      fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace('about replaying production traffic', 'about the sea'));
      llm.reset();
      const replayed = await tracetape(['replay', traceId, '--', 'node', app], appEnv);
      expect(replayed.code).not.toBe(0);
      expect(llm.count()).toBe(0);
      expect(replayed.stderr).toContain(`DIVERGED at call #1: POST ${llm.url}/v1/chat/completions is not on the tape`);
      expect(replayed.stderr).toContain('closest recorded request: step 1');
      const diffLine = replayed.stderr.split('\n').find((line) => line.includes('body.messages[0].content'));
      expect(diffLine).toContain('"Write a haiku about replaying production traffic."');
      expect(diffLine).toContain('"Write a haiku about the sea."');
      expect(replayed.stderr).toMatch(/0 served, 1 unconsumed, 1 blocked/);
    } finally {
      work.remove();
    }
  });

  it('reports an unknown trace ID clearly, and the app never runs', async () => {
    // `replay -- node …` starts the app while it reads the tape: the hook must stop it unrun.
    const work = tempDir('tracetape-unknown-');
    try {
      const marker = path.join(work.dir, 'the-app-ran');
      const result = await tracetape(['replay', '0123456789abcdef0123456789abcdef', '--', 'node', '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x'); console.log('the app ran')`], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('No spans for trace 0123456789abcdef0123456789abcdef');
      expect(result.stdout).toBe('');
      expect(fs.existsSync(marker)).toBe(false);
      // The waiting hook leaves quietly: the one message is the reason, not a crash of the app's process.
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      work.remove();
    }
    const invalid = await tracetape(['tape', 'not-a-trace'], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('is not a trace ID: expected 32 hexadecimal characters');
  });
});

describe('storage', () => {
  it('never stores secret header values in any column of any table', async () => {
    const secret = `s3cr3t${Math.random().toString(36).slice(2)}`;
    const leaky = await startCountingServer(() => ({
      headers: { 'set-cookie': `sid=${secret}-setcookie; HttpOnly` },
      body: '{"ok":true}',
    }));
    try {
      const recorded = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'secrets-app.mjs')], {
        ...env,
        UPSTREAM_URL: leaky.url,
        PLANTED_SECRET: secret,
      });
      expect(recorded.code, recorded.stderr).toBe(0);
      // The secrets really went out: the server saw them.
      expect(leaky.seenHeaders[0]?.authorization).toBe(`Bearer ${secret}-auth`);
      const traceId = recordedTraceId(recorded.stderr);
      const spans = await tracetape(['query', 'SELECT * FROM otel_traces', '--format', 'json'], env);
      const payloads = await tracetape(['query', 'SELECT * FROM tracetape_payloads', '--format', 'json'], env);
      expect(spans.code, spans.stderr).toBe(0);
      expect(spans.stdout).toContain(traceId);
      expect(spans.stdout).toContain('[REDACTED]');
      expect(spans.stdout + payloads.stdout).not.toContain(secret);
    } finally {
      await leaky.close();
    }
  });
});
