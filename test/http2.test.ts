import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';

// Issue 15 item 4: node:http2 requests are recorded like HTTP/1 ones (capture never hangs them)
// and replayed from the tape with no connection.
const store = tempDir('tracetape-http2-');
const app = ['node', path.join(FIXTURES, 'http2-app.mjs')];
let server: http2.Http2Server;
let requests = 0;
let sessions = 0;
let env: Record<string, string>;

beforeAll(async () => {
  server = http2.createServer();
  server.on('session', () => sessions++);
  server.on('stream', (stream, headers) => {
    requests++;
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      const route = headers[':path'];
      if (route === '/v1/stream') {
        stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
        let n = 0;
        const next = (): void => {
          if (n === 3) return void stream.end();
          stream.write(`data: part ${n++} ${randomUUID().slice(0, 8)}\n\n`);
          setImmediate(next);
        };
        next();
        return;
      }
      stream.respond({ ':status': route === '/v1/tickets' ? 201 : 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify(route === '/v1/tickets' ? { id: randomUUID(), received: JSON.parse(body) } : { models: ['m-1'], nonce: randomUUID() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = { TRACETAPE_DIR: path.join(store.dir, 'store'), H2_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  store.remove();
});

async function record(): Promise<{ traceId: string; stdout: string }> {
  const recorded = await tracetape(['record', '--', ...app], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  return { traceId: recordedTraceId(recorded.stderr), stdout: recorded.stdout };
}

describe('the HTTP/2 door', () => {
  it('records requests like HTTP/1 ones and replays them without a connection', async () => {
    const before = requests;
    const { traceId, stdout } = await record();
    expect(requests - before).toBe(3);
    expect(stdout).toMatch(/models: 200 \{"models":\["m-1"\],"nonce":"[0-9a-f-]{36}"\}/);
    expect(stdout).toMatch(/ticket: 201 .*"received":\{"topic":"refund","priority":2\}/);
    expect(stdout).toMatch(/stream: 200 "data: part 0 /);

    const tape = await tracetape(['tape', traceId, '--json'], env);
    expect(tape.code, tape.stderr).toBe(0);
    const entries = (JSON.parse(tape.stdout) as { entries: Array<{ kind: string; request: { normalized: { method: string; url: string } } }> }).entries;
    expect(entries.map((entry) => `${entry.kind} ${entry.request.normalized.method} ${new URL(entry.request.normalized.url).pathname}`)).toEqual([
      'http GET /v1/models',
      'http POST /v1/tickets',
      'http GET /v1/stream',
    ]);

    const atReplay = { requests, sessions };
    const replayed = await tracetape(['replay', traceId, '--', ...app], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(stdout);
    expect({ requests, sessions }).toEqual(atReplay);
  });

  it('a changed body is a divergence with a diff, and an extra request is blocked', async () => {
    const { traceId } = await record();
    const atReplay = { requests, sessions };
    const changed = await tracetape(['replay', traceId, '--', ...app], { ...env, TOPIC: 'cancel' });
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/DIVERGED at call #\d+: POST http:\/\/127\.0\.0\.1:\d+\/v1\/tickets is not on the tape/);
    expect(changed.stderr).toMatch(/body\.topic\s+"refund"\s+"cancel"/);

    const extra = await tracetape(['replay', traceId, '--', ...app], { ...env, EXTRA_CALL: '1' });
    expect(extra.code).toBe(1);
    expect(extra.stdout).toMatch(/extra: TRACETAPE_REPLAY_DIVERGENCE replay diverged at call #\d+: GET .*\/v1\/extra is not on the tape/);
    expect({ requests, sessions }).toEqual(atReplay);
  });
});
