import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, startRecordingServer, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const store = tempDir('tracetape-server-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const SERVER_APP = path.join(FIXTURES, 'server-app.mjs');
let upstream: CountingServer;
let recorded: { traceId: string; response: { status: number; body: Record<string, unknown> }; cli: CliResult };

/**
 * `tracetape record -- node server-app.mjs`, one request sent to the server once it says which
 * port it listens on; resolves when the recording process has ended.
 */
async function recordOneRequest(): Promise<typeof recorded> {
  const { port, ended } = await startRecordingServer(SERVER_APP, { ...env, UPSTREAM_URL: upstream.url });
  const response = await fetch(`http://127.0.0.1:${port}/answer?lang=en&v=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-agent': 'test-suite', cookie: 'session=s3cr3t-cookie' },
    body: JSON.stringify({ question: 'Why replay servers?', context: { depth: 2 } }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const cli = await ended;
  expect(cli.code, cli.stderr).toBe(0);
  return { traceId: recordedTraceId(cli.stderr), response: { status: response.status, body }, cli };
}

beforeAll(async () => {
  upstream = await startCountingServer(({ url, body }) => ({ body: JSON.stringify({ url, got: body, nonce: Math.random() }) }));
  recorded = await recordOneRequest();
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

/** A copy of the server app with one change, inside the repository like the app itself. */
function changedApp(from: string, to: string): { file: string; remove(): void } {
  const work = tempDir('tracetape-server-changed-', FIXTURES);
  const file = path.join(work.dir, 'server-app.mjs');
  const source = fs.readFileSync(SERVER_APP, 'utf8');
  expect(source).toContain(from);
  fs.writeFileSync(file, source.replace(from, to));
  return { file, remove: work.remove };
}

async function replay(app: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  upstream.reset();
  return tracetape(['replay', recorded.traceId, '--', 'node', app], { ...env, UPSTREAM_URL: upstream.url, ...extraEnv });
}

describe('replaying a server trace', () => {
  it('records the inbound request and response on the server span, redacted', async () => {
    expect(recorded.response.status).toBe(200);
    expect(recorded.response.body).toMatchObject({ agent: 'test-suite', headers: ['x-agent'] });
    expect(recorded.cli.stderr).toMatch(new RegExp(`recorded trace ${recorded.traceId} \\(1 call\\)`));

    const timeline = await tracetape(['tape', recorded.traceId], env);
    expect(timeline.code, timeline.stderr).toBe(0);
    expect(timeline.stdout).toMatch(/^inbound POST http:\/\/127\.0\.0\.1:\d+\/answer\?lang=en&v=1 -> 200, \d+ B$/m);

    const tape = JSON.parse((await tracetape(['tape', recorded.traceId, '--json'], env)).stdout);
    expect(tape.entries).toHaveLength(1);
    expect(tape.inbound.request.target).toBe('/answer?lang=en&v=1');
    expect(tape.inbound.request.complete).toBe(true);
    expect(JSON.parse(tape.inbound.request.body.data)).toEqual({ question: 'Why replay servers?', context: { depth: 2 } });
    expect(tape.inbound.request.headers).toContainEqual(['cookie', '[REDACTED]']);
    expect(JSON.stringify(tape)).not.toContain('s3cr3t-cookie');
    expect(tape.inbound.response.status).toBe(200);
    expect(JSON.parse(tape.inbound.response.body.data)).toEqual(recorded.response.body);
  });

  it('sends the recorded request to the replayed server and finds the same response, with no network', async () => {
    const replayed = await replay(SERVER_APP);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(upstream.count()).toBe(0);
    expect(replayed.stderr).toMatch(/inbound POST http:\/\/127\.0\.0\.1:\d+\/answer\?lang=en&v=1: response matched the recording \(200\)/);
    expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
  });

  it("says the server could not listen when another process holds its port, as the recorded service still running would", async () => {
    const holder = http.createServer((_req, res) => res.end('the live service'));
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const replayed = await replay(SERVER_APP, { PORT: String(port) });
      expect(replayed.code).not.toBe(0);
      expect(upstream.count()).toBe(0);
      expect(replayed.stderr).toContain(`was not replayed: the app's HTTP server could not listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(replayed.stderr).toContain('Another process holds that port');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('compares JSON responses canonically: a different key order still matches', async () => {
    const app = changedApp('    question,\n    answer:', '    answer:');
    try {
      fs.writeFileSync(app.file, fs.readFileSync(app.file, 'utf8').replace('    agent: req', '    question,\n    agent: req'));
      const replayed = await replay(app.file);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toContain('response matched the recording');
    } finally {
      app.remove();
    }
  });

  it('fails when the handler answers differently, showing the differing fields', async () => {
    // Same outbound call, different response: only the comparison of the inbound response can tell.
    const app = changedApp('answer: `it depends (${found.nonce})`', 'answer: `it does not depend (${found.nonce})`');
    try {
      const replayed = await replay(app.file);
      expect(replayed.code).not.toBe(0);
      expect(upstream.count()).toBe(0);
      expect(replayed.stderr).toMatch(/RESPONSE DIFFERS for inbound POST http:\/\/127\.0\.0\.1:\d+\/answer\?lang=en&v=1 \(status 200\)/);
      const diffLine = replayed.stderr.split('\n').find((line) => line.includes('body.answer'));
      const nonce = /\((.*)\)/.exec(String(recorded.response.body.answer))![1];
      expect(diffLine).toContain(`"it depends (${nonce})"`);
      expect(diffLine).toContain(`"it does not depend (${nonce})"`);
      expect(replayed.stderr).not.toMatch(/body\.(question|asked|headers|agent)/);
      expect(replayed.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
    } finally {
      app.remove();
    }
  });
});
