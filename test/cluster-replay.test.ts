import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Tape } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startRecordingServer, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// A server whose requests are served by a process other than the one `tracetape record` started:
// the workers of a node:cluster primary, and the app that `npm start` runs. Each request's trace
// is replayed in the process that served it, with the upstream counting nothing, and the replay
// ends though the cluster's primary would run (and re-fork workers) for ever.
const store = tempDir('tracetape-cluster-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const CLUSTER_APP = path.join(FIXTURES, 'cluster-server-app.mjs');
let upstream: CountingServer;

beforeAll(async () => {
  upstream = await startCountingServer(({ body }) => ({ body: JSON.stringify({ nonce: Math.random(), got: body }) }));
});

afterAll(async () => {
  await upstream.close();
  store.remove();
});

/** A GET on a connection of its own, so that the cluster's primary deals each one to the next worker. */
function getOnNewConnection(port: number, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function traceIdsIn(stderr: string): string[] {
  return [...stderr.matchAll(/recorded trace ([0-9a-f]{32})/g)].map((match) => match[1]!);
}

async function tapeOf(traceId: string): Promise<Tape> {
  const { code, stdout, stderr } = await tracetape(['tape', traceId, '--json'], env);
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout) as Tape;
}

describe('replaying a request that a node:cluster worker served', () => {
  const clusterEnv = { ...env, WORKERS: '2', REQUESTS: '3' };
  let recorded: Array<{ traceId: string; answer: { path: string; worker: number } }> = [];

  beforeAll(async () => {
    const { port, ended } = await startRecordingServer(CLUSTER_APP, { ...clusterEnv, UPSTREAM_URL: upstream.url });
    const answers: Array<{ path: string; worker: number }> = [];
    for (const pathname of ['/a', '/b', '/c']) answers.push(JSON.parse(await getOnNewConnection(port, pathname)) as { path: string; worker: number });
    const { code, stderr } = await ended;
    expect(code, stderr).toBe(0);
    const traceIds = traceIdsIn(stderr);
    expect(traceIds).toHaveLength(3);
    // Traces are listed in the order they started; match them to answers by the recorded target.
    const byPath = new Map<string, string>();
    for (const traceId of traceIds) byPath.set((await tapeOf(traceId)).inbound!.request.target, traceId);
    recorded = answers.map((answer) => ({ traceId: byPath.get(answer.path)!, answer }));
  }, 120_000);

  it('records each request in the trace of the worker that served it', async () => {
    // Both workers served: the replay must reach the one that recorded, not whichever is next.
    expect(new Set(recorded.map(({ answer }) => answer.worker))).toEqual(new Set([1, 2]));
    for (const { traceId, answer } of recorded) {
      const tape = await tapeOf(traceId);
      expect(tape.rootProcess).toBe(`0.${answer.worker}`);
      expect(tape.entries.map((entry) => [entry.request.normalized.url, entry.process])).toEqual([[`${upstream.url}/lookup`, `0.${answer.worker}`]]);
    }
  });

  it('replays each request in its worker with nothing sent, and ends the rest of the cluster', async () => {
    for (const { traceId, answer } of recorded) {
      upstream.reset();
      const replayed = await tracetape(['replay', traceId, '--strict', '--', 'node', CLUSTER_APP], { ...clusterEnv, UPSTREAM_URL: upstream.url });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toContain(`inbound GET http://127.0.0.1:`);
      expect(replayed.stderr).toMatch(new RegExp(`${answer.path}: response matched the recording \\(200\\)`));
      expect(replayed.stderr).toContain(`process 0.${answer.worker} answered the replayed request`);
      expect(replayed.stderr).toMatch(/were stopped with SIGTERM/);
      expect(upstream.count()).toBe(0);
    }
  }, 120_000);

  it('fails when the worker answers differently, and still ends', async () => {
    const { traceId } = recorded[0]!;
    const replayed = await tracetape(['replay', traceId, '--', 'node', CLUSTER_APP], { ...clusterEnv, UPSTREAM_URL: upstream.url, GREETING: 'bonjour' });
    expect(replayed.code, replayed.stderr).toBe(1);
    expect(replayed.stderr).toMatch(/RESPONSE DIFFERS for inbound GET/);
    expect(replayed.stderr).toMatch(/body\.greeting/);
    expect(upstream.count()).toBe(0);
  }, 60_000);
});

describe('replaying a request that a server started by `npm start` served', () => {
  it('sends the recorded request to the server, not to npm, and ends with it', async () => {
    const command = ['npm', '--prefix', path.join(FIXTURES, 'npm-server'), 'start'];
    const { port, ended } = await startRecordingServer(command, { ...env, UPSTREAM_URL: upstream.url });
    const response = await fetch(`http://127.0.0.1:${port}/answer`, { method: 'POST', body: JSON.stringify({ question: 'who serves?' }) });
    expect(response.status).toBe(200);
    const { code, stderr } = await ended;
    expect(code, stderr).toBe(0);
    const [traceId] = traceIdsIn(stderr);
    expect((await tapeOf(traceId!)).rootProcess).toBe('0.1');

    upstream.reset();
    const replayed = await tracetape(['replay', traceId!, '--', ...command], { ...env, UPSTREAM_URL: upstream.url });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/inbound POST http:\/\/127\.0\.0\.1:\d+\/answer: response matched the recording \(200\)/);
    // npm ends by itself once its server has: nothing needed stopping.
    expect(replayed.stderr).not.toMatch(/were stopped with/);
    expect(upstream.count()).toBe(0);
  }, 120_000);
});

describe('a fixture of a request that a cluster worker served', () => {
  it('is checked like any fixture: tracetape check passes, and ends the cluster once the request is answered', async () => {
    const fixtures = path.join(store.dir, 'fixtures');
    const clusterEnv = { ...env, WORKERS: '2', REQUESTS: '1', UPSTREAM_URL: upstream.url };
    const { port, ended } = await startRecordingServer(CLUSTER_APP, clusterEnv);
    await getOnNewConnection(port, '/fixture');
    const { code, stderr } = await ended;
    expect(code, stderr).toBe(0);
    const [traceId] = traceIdsIn(stderr);

    const written = await tracetape(['fixture', traceId!, '-o', fixtures, '--', 'node', CLUSTER_APP], clusterEnv);
    expect(written.code, written.stderr).toBe(0);
    const [contract] = fs.readdirSync(fixtures).filter((file) => file.endsWith('.contract.json'));

    upstream.reset();
    // REQUESTS=2: the primary waits for a second answer that never comes, so only the stop ends it.
    const checked = await tracetape(['check', path.join(fixtures, contract!)], { ...clusterEnv, REQUESTS: '2' });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/^PASS /m);
    expect(upstream.count()).toBe(0);
  }, 120_000);
});
