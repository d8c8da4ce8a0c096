import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Tape } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { FIXTURES, recordedTraceId, startRecordingServer, tempDir, tracetape } from './support/cli.js';
import { freePort } from './support/free-port.js';

// The WebSocket door through the real CLI, with both clients (the global WebSocket and the ws
// package) against a real ws server on loopback: a conversation of several messages each way (text,
// JSON, binary) is recorded as steps, replayed without a connection (the server, still listening,
// counts none), a changed client message is a divergence with a field diff, and an extra
// connection is blocked.
const tmp = tempDir('tracetape-websocket-');
const env = { TRACETAPE_DIR: path.join(tmp.dir, 'store') };
const command = ['node', path.join(FIXTURES, 'websocket-app.mjs')];

let server: WebSocketServer;
let connections = 0;
let wsUrl = '';

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] ?? false });
  server.on('connection', (socket) => {
    connections++;
    socket.send('welcome');
    socket.on('message', (data, isBinary) => {
      if (isBinary) return socket.send(Buffer.from([...data].map((byte) => byte * 2)));
      const text = data.toString();
      if (text.startsWith('{')) {
        const { question } = JSON.parse(text) as { question: string };
        socket.send(JSON.stringify({ answer: `${question}? sunny`, nonce: Math.random() }));
        socket.send('anything else?');
      } else socket.send(`you said ${text}`);
    });
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  tmp.remove();
});

describe.each(['global', 'ws'])('WebSocket door, %s client', (client) => {
  const appEnv = (extra: Record<string, string> = {}): Record<string, string> => ({ ...env, WS_URL: wsUrl, CLIENT: client, ...extra });

  it('records the conversation as steps and replays it without connecting', async () => {
    const before = connections;
    const recorded = await tracetape(['record', '--', ...command], appEnv());
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(connections - before).toBe(1);
    expect(recorded.stdout).toMatch(
      /^open chat\.v1\nmessage welcome\nmessage \{"answer":"what is the weather\? sunny","nonce":0\.\d+\}\nmessage anything else\?\nmessage binary 2,4,6\nmessage you said thanks\nclose 1000 done\n$/,
    );
    const traceId = recordedTraceId(recorded.stderr);

    const built = await tracetape(['tape', traceId, '--json'], env);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).not.toContain('sk-live-1234567890abcdef');
    const tape = JSON.parse(built.stdout) as Tape;
    const url = `${wsUrl}?api_key=%5BREDACTED%5D`;
    expect(tape.entries.map((entry) => [entry.kind, entry.request.normalized.method, entry.request.normalized.url, entry.response.status])).toEqual([
      ['websocket', 'OPEN', url, 101],
      ['websocket', 'SEND', url, 200],
      ['websocket', 'SEND', url, 200],
      ['websocket', 'SEND', url, 200],
      ['websocket', 'CLOSE', url, 200],
    ]);
    const [open, ask, binary, thanks, close] = tape.entries as [Tape['entries'][number], ...Tape['entries']];
    expect(JSON.parse(open.request.normalized.body!.data)).toEqual({ connection: 1, protocols: ['chat.v1'] });
    expect(open.response.headers).toContainEqual(['sec-websocket-protocol', 'chat.v1']);
    // The greeting came after the app's open handler ran, so before its first message: it is the open step's.
    expect(open.response.chunks!.map((chunk) => chunk.body.data)).toEqual(['welcome']);
    expect(JSON.parse(ask.request.normalized.body!.data)).toEqual({ connection: 1, frame: 1, json: { question: 'what is the weather', type: 'ask' } });
    expect(ask.response.chunks!.map((chunk) => chunk.body.encoding)).toEqual(['utf8', 'utf8']);
    expect(JSON.parse(binary!.request.normalized.body!.data)).toEqual({ connection: 1, frame: 2, base64: 'AQID' });
    expect(binary!.response.chunks!.map((chunk) => [chunk.body.encoding, chunk.body.data])).toEqual([['base64', 'AgQG']]);
    expect(thanks!.response.chunks!.map((chunk) => chunk.body.data)).toEqual(['you said thanks']);
    expect(JSON.parse(close!.request.normalized.body!.data)).toEqual({ connection: 1, frame: 4, code: 1000, reason: 'done' });
    expect(JSON.parse(close!.response.body!.data)).toMatchObject({ close: { code: 1000, reason: 'done', wasClean: true } });
    for (const entry of tape.entries) expect(entry.response.chunks!.every((chunk) => chunk.offsetMs >= 0)).toBe(true);

    const timeline = await tracetape(['tape', traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toMatch(/1\s+\+[\d.]+ ms\s+websocket\s+OPEN\s+ws:\/\/127\.0\.0\.1:\d+\/chat/);
    expect(timeline.stdout).toMatch(/5\s+\+[\d.]+ ms\s+websocket\s+CLOSE\s+ws:/);

    const replayed = await tracetape(['replay', traceId, '--', ...command], appEnv());
    expect(replayed.code, replayed.stderr).toBe(0);
    // The same conversation, the server's random nonce included: it came from the tape.
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(connections - before).toBe(1);
    expect(replayed.stderr).toContain(`replay of ${traceId}: 5 served, 0 unconsumed, 0 blocked, 4 side effect(s) suppressed`);

    const changed = await tracetape(['replay', traceId, '--', ...command], appEnv({ QUESTION: 'will it rain' }));
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/DIVERGED at call #2: SEND ws:\/\/127\.0\.0\.1:\d+\/chat\?api_key=%5BREDACTED%5D is not on the tape/);
    expect(changed.stderr).toMatch(/body\.json\.question\s+"what is the weather"\s+"will it rain"/);
    // The app is told: the connection closes with "internal error" and the reason names the divergence.
    expect(changed.stdout).toMatch(/close 1011 tracetape: TRACETAPE_REPLAY_DIVERGENCE: /);
    expect(changed.stdout).not.toContain('sunny');
    expect(connections - before).toBe(1);

    const extra = await tracetape(['replay', traceId, '--', ...command], appEnv({ EXTRA_CONNECTION: '1' }));
    expect(extra.code).toBe(1);
    expect(extra.stdout.startsWith(recorded.stdout)).toBe(true);
    expect(extra.stdout).toMatch(/error TRACETAPE_REPLAY_DIVERGENCE .*OPEN ws:\/\/127\.0\.0\.1:\d+\/chat\?api_key=%5BREDACTED%5D is not on the tape/);
    // Closed as a refused connection is (the global WebSocket's reason says why; ws gives none).
    expect(extra.stdout).toMatch(/close 1006 [^\n]*\n$/);
    expect(extra.stderr).toContain('5 served, 0 unconsumed, 1 blocked');
    expect(connections - before).toBe(1);
  }, 180_000);
});

describe('WebSocket door, connections that do not end in a close', () => {
  it('replays a refused connection, an HTTP answer to the handshake and a connection left open at exit as recorded', async () => {
    const notFound = http.createServer((_request, response) => {
      response.statusCode = 404;
      response.end('no WebSocket here');
    });
    await new Promise<void>((resolve) => notFound.listen(0, '127.0.0.1', resolve));
    try {
      const edgeEnv = {
        ...env,
        WS_URL: wsUrl,
        REFUSED_URL: `ws://127.0.0.1:${await freePort()}/`,
        HTTP_URL: `ws://127.0.0.1:${(notFound.address() as AddressInfo).port}/`,
      };
      const edgeApp = ['node', path.join(FIXTURES, 'websocket-edge-app.mjs')];
      const recorded = await tracetape(['record', '--', ...edgeApp], edgeEnv);
      expect(recorded.code, recorded.stderr).toBe(0);
      expect(recorded.stdout).toMatch(
        /^ws refused error connect ECONNREFUSED [^\n]+\nws refused close 1006\nglobal refused error \[[^\n]*\]\nglobal refused close 1006 clean=false\nws http error Unexpected server response: 404\nws http close 1006\nleft open got welcome\nleft open got you said left open\n$/,
      );
      const traceId = recordedTraceId(recorded.stderr);
      const tape = JSON.parse((await tracetape(['tape', traceId, '--json'], env)).stdout) as Tape;
      expect(tape.entries.map((entry) => [entry.request.normalized.method, entry.response.status, entry.response.complete])).toEqual([
        ['OPEN', 0, true],
        ['OPEN', 0, true],
        ['OPEN', 404, true],
        ['OPEN', 101, true],
        ['SEND', 200, false],
      ]);
      expect(tape.entries[4]!.response.statusText).toBe('still open at exit');

      const before = connections;
      const replayed = await tracetape(['replay', traceId, '--', ...edgeApp], edgeEnv);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
      expect(connections - before).toBe(0);
    } finally {
      await new Promise<void>((resolve) => notFound.close(() => resolve()));
    }
  }, 120_000);
});

describe('WebSocket door in a recorded server', () => {
  const SERVER_APP = path.join(FIXTURES, 'websocket-server-app.mjs');

  /** The server recorded through `tracetape record` while it answers one request per path, in turn. */
  async function recordRequests(paths: string[]): Promise<{ answers: string[]; traceIds: string[] }> {
    const { port, ended } = await startRecordingServer(SERVER_APP, { ...env, WS_URL: wsUrl, REQUESTS: String(paths.length) });
    const answers: string[] = [];
    for (const pathname of paths) answers.push(await (await fetch(`http://127.0.0.1:${port}${pathname}`)).text());
    const { code, stderr } = await ended;
    expect(code, stderr).toBe(0);
    return { answers, traceIds: [...stderr.matchAll(/recorded trace ([0-9a-f]{32})/g)].map((match) => match[1]!) };
  }

  it("replays each request's trace on its own, though the process opened connections to the URL before it", async () => {
    const before = connections;
    const { answers, traceIds } = await recordRequests(['/first', '/second', '/third']);
    expect(answers).toEqual(['welcome', 'welcome', 'welcome']);
    expect(connections - before).toBe(3);
    expect(traceIds).toHaveLength(3);

    const replayedFrom = connections;
    for (const traceId of traceIds) {
      const tape = JSON.parse((await tracetape(['tape', traceId, '--json'], env)).stdout) as Tape;
      // Each request's connection is its trace's first.
      expect(tape.entries[0]!.request.normalized.body).toMatchObject({ encoding: 'utf8', data: expect.stringContaining('"connection":1') });
      const replayed = await tracetape(['replay', traceId, '--', 'node', SERVER_APP], { ...env, WS_URL: wsUrl });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toMatch(/inbound GET http:\/\/127\.0\.0\.1:\d+\/\w+: response matched the recording \(200\)/);
    }
    expect(connections - replayedFrom).toBe(0);
  }, 120_000);
});
