import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

const store = tempDir('tracetape-racing-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const app = ['node', path.join(FIXTURES, 'racing-tools-app.mjs')];
let upstream: CountingServer;
// The first recording forces the later-issued call to win the race; the others race at random.
let forceReversed = true;

beforeAll(async () => {
  upstream = await startCountingServer(({ url, body }) => {
    const random = () => Math.floor(Math.random() * 60);
    const delayMs = url === '/tool/weather' ? (forceReversed ? 120 : random()) : url === '/tool/calendar' ? (forceReversed ? 0 : random()) : 0;
    return { delayMs, body: url === '/model' ? `saw ${body}` : `${url.slice(6)} result ${Math.random().toFixed(6)}` };
  });
});
afterAll(async () => {
  await upstream.close();
  store.remove();
});

it('replays racing tool calls in their recorded order of arrival, run after run', async () => {
  for (let recording = 0; recording < 3; recording++) {
    const recorded = await tracetape(['record', '--', ...app], { ...env, UPSTREAM_URL: upstream.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    if (recording === 0) expect(recorded.stdout.split('\n')[0]).toMatch(/^calendar: /);
    forceReversed = false;
    const traceId = recordedTraceId(recorded.stderr);
    upstream.reset();
    for (let replay = 0; replay < 3; replay++) {
      const replayed = await tracetape(['replay', traceId, '--', ...app], { ...env, UPSTREAM_URL: upstream.url });
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toBe(recorded.stdout);
    }
    expect(upstream.count()).toBe(0);
  }
});
