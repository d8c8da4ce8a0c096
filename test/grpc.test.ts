import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';

// Issue 15 item 4: gRPC calls through @grpc/grpc-js (unary, server, client and bidi streams) are a
// door: recorded against a real grpc-js server, replayed with the server seeing nothing.
const store = tempDir('tracetape-grpc-');
const app = ['node', path.join(FIXTURES, 'grpc-app.mjs')];
let server: ChildProcess;
let served = 0;
let env: Record<string, string>;

beforeAll(async () => {
  server = spawn(process.execPath, [path.join(FIXTURES, 'grpc/server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      served = out.match(/^served /gm)?.length ?? 0;
      const found = /port (\d+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    server.once('exit', (code) => reject(new Error(`the gRPC server exited (${code})`)));
  });
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), GRPC_TARGET: `127.0.0.1:${port}` };
});

afterAll(() => {
  server.kill();
  store.remove();
});

async function record(): Promise<{ traceId: string; stdout: string }> {
  const recorded = await tracetape(['record', '--', ...app], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  return { traceId: recordedTraceId(recorded.stderr), stdout: recorded.stdout };
}

describe('the gRPC door', () => {
  it('records every kind of call and replays them with the server seeing nothing', async () => {
    const before = served;
    const { traceId, stdout } = await record();
    expect(served - before).toBe(6);
    expect(stdout).toMatch(/chat: c1:[0-9a-f]{8} c2:[0-9a-f]{8} c3:[0-9a-f]{8}\n/);
    expect(stdout).toMatch(/search: .*"nonce":"[0-9a-f-]{36}"/);
    expect(stdout).toContain('denied: 7 query not allowed');
    expect(stdout).toContain('search trailer: eu-1');

    const tape = await tracetape(['tape', traceId, '--json'], env);
    expect(tape.code, tape.stderr).toBe(0);
    expect(tape.stdout).not.toContain('sk-grpc-secret');
    const entries = (JSON.parse(tape.stdout) as { entries: Array<{ kind: string; request: { normalized: { method: string; url: string } } }> }).entries;
    expect(entries.map((entry) => `${entry.kind} ${entry.request.normalized.method} ${new URL(entry.request.normalized.url).pathname}`)).toEqual([
      'grpc unary /vectors.VectorStore/Search',
      'grpc unary /vectors.VectorStore/Search',
      'grpc server_stream /vectors.VectorStore/Neighbours',
      'grpc client_stream /vectors.VectorStore/Upsert',
      'grpc bidi_stream /vectors.VectorStore/Converse',
      'grpc bidi_stream /vectors.VectorStore/Converse',
    ]);

    const atReplay = served;
    const replayed = await tracetape(['replay', traceId, '--', ...app], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    // The random nonces, ids, bytes, status, error and trailer all come back as recorded.
    expect(replayed.stdout).toBe(stdout);
    expect(served).toBe(atReplay);
    // Search is named as a read; the streams may change something and are reported suppressed.
    expect(replayed.stderr).toMatch(/tracetape: 4 side effect\(s\) suppressed: .*Neighbours/);
    expect(replayed.stderr).not.toMatch(/suppressed: .*Search/);
  });

  it('a changed message is a divergence naming the field, and an extra call is blocked', async () => {
    const { traceId } = await record();
    const atReplay = served;
    const changed = await tracetape(['replay', traceId, '--', ...app], { ...env, QUERY: 'cancel order' });
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/DIVERGED at call #1: unary grpc:\/\/127\.0\.0\.1:\d+\/vectors\.VectorStore\/Search is not on the tape/);
    expect(changed.stderr).toMatch(/body\.messages\[0\]\.query\s+"refund policy"\s+"cancel order"/);

    // Mid-conversation on a bidirectional stream: the changed question diverges at once, no waiting for the end.
    const chat = await tracetape(['replay', traceId, '--', ...app], { ...env, CHAT_QUESTION: 'cancel my order' });
    expect(chat.code).toBe(1);
    expect(chat.stdout).toMatch(/chat: c1:[0-9a-f]{8} error 2\n/);
    expect(chat.stderr).toMatch(/body\.messages\[1\]\.text\s+"refund status\?"\s+"cancel my order"/);

    const extra = await tracetape(['replay', traceId, '--', ...app], { ...env, EXTRA_CALL: '1' });
    expect(extra.code).toBe(1);
    expect(extra.stdout).toMatch(/extra: 2 replay diverged at call #\d+: unary .*Search is not on the tape/);
    expect(served).toBe(atReplay);
  });

  it('a --live-host replay sends the calls to the server for real', async () => {
    const { traceId, stdout } = await record();
    const atReplay = served;
    const live = await tracetape(['replay', traceId, '--live-host', env.GRPC_TARGET!, '--', ...app], env);
    expect(live.code, live.stderr).toBe(0);
    expect(served - atReplay).toBe(6);
    // The server's fresh nonces, not the recorded ones.
    expect(live.stdout).not.toBe(stdout);
    expect(live.stdout).toMatch(/search: .*"nonce":"[0-9a-f-]{36}"/);
  });
});
