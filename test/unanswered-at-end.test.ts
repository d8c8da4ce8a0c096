import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, recordedTraceId, REPO_ROOT, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { collectPageErrors, launchBrowser } from './support/browser.js';
import { startRedis, type RedisDatabase, type RedisServer } from './support/databases.js';
import { pollPage } from './support/ui-in-browser.js';
import { startUi } from './support/ui-process.js';

// A worker stopped by a signal while it waits (a blocking BRPOP, a long poll) is recorded whole:
// the calls nothing had answered yet are kept as unanswered, and a replay leaves them unanswered,
// then ends the app with the same signal once it waits on them again.
const store = tempDir('tracetape-unanswered-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
const APP = path.join(FIXTURES, 'blocked-worker-app.mjs');
// A wrapper (as npm or a shell script is) that runs the worker as its child and exits 1 when it dies.
const WRAPPER = path.join(FIXTURES, 'wrapper.mjs');
let redis: RedisServer;
let database: RedisDatabase;
let upstream: CountingServer;
let polled: () => void = () => undefined;

beforeAll(async () => {
  redis = await startRedis();
  database = await redis.createDatabase('queue');
  upstream = await startCountingServer(({ url }) => {
    if (url !== '/poll') return { body: JSON.stringify({ url, nonce: Math.random() }) };
    polled();
    return new Promise(() => undefined);
  });
});
afterAll(async () => {
  await Promise.all([upstream?.close(), redis?.stop()]);
  store.remove();
});

/** The store, the worker's queue and upstream, and `extra`. */
function appEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...env, ...extra, REDIS_URL: database.url, KEY_PREFIX: database.keyPrefix, UPSTREAM_URL: upstream.url };
}

interface TapeEntry {
  kind: string;
  process?: string;
  request: { normalized: { method: string; url: string } };
  response: { status: number; unanswered?: { signal?: string; signalAt?: string } };
}

/**
 * Records the worker and, once both of its last calls wait, sends `signal` as a terminal's Ctrl-C
 * does (`to: 'terminal'`: to the whole process group, so the worker gets it from the terminal and
 * again from `tracetape record` passing it on) or as a supervisor does (to `tracetape record`).
 */
async function recordUntilSignal(
  signal: NodeJS.Signals,
  to: 'terminal' | 'record',
  extraEnv: Record<string, string> = {},
  command: readonly string[] = ['node', APP],
): Promise<CliResult> {
  const waitingForPoll = new Promise<void>((resolve) => (polled = resolve));
  const record = spawn(process.execPath, [CLI, 'record', '--', ...command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...appEnv(extraEnv) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal gives a command.
    detached: to === 'terminal',
  });
  let stdout = '';
  let stderr = '';
  record.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  record.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<CliResult>((resolve) => record.once('close', (code) => resolve({ code, stdout, stderr })));
  await Promise.race([waitingForPoll, ended.then(() => Promise.reject(new Error(`the worker ended before it waited:\n${stderr}`)))]);
  await untilBlockedOnBrpop();
  if (to === 'terminal') process.kill(-record.pid!, signal);
  else record.kill(signal);
  return ended;
}

/** Resolves once Redis counts a client blocked (the worker's BRPOP): a signal before that finds no call in flight. */
async function untilBlockedOnBrpop(): Promise<void> {
  const admin = new Redis(redis.url);
  try {
    for (;;) {
      const info = await admin.info('clients');
      if (Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0) > 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    admin.disconnect();
  }
}

async function tapeOf(traceId: string): Promise<{ entries: TapeEntry[]; incomplete?: unknown }> {
  const result = await tracetape(['tape', traceId, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

async function queueLength(): Promise<number> {
  const client = new Redis(database.url);
  try {
    return await client.llen(`${database.keyPrefix}jobs`);
  } finally {
    client.disconnect();
  }
}

describe('a worker stopped by a signal while its calls wait', () => {
  it('is recorded whole with Ctrl-C in a terminal, and its replay ends with SIGINT at the same point, nothing sent', async () => {
    const recorded = await recordUntilSignal('SIGINT', 'terminal');
    expect(recorded.stdout).toContain('waiting for the next job');
    // Nothing lost: the two waiting calls are recorded, as waiting.
    expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(blocked-worker-app\.mjs, 5 calls\)/);
    // The worker died by the signal; record says so with its exit code, as a shell would.
    expect(recorded.code).toBe(130);
    const traceId = recordedTraceId(recorded.stderr);
    const tape = await tapeOf(traceId);
    expect(tape.incomplete).toBeUndefined();
    const unanswered = tape.entries.filter((entry) => entry.response.unanswered);
    expect(unanswered.map((entry) => `${entry.kind} ${entry.request.normalized.method}`).sort()).toEqual(['http POST', 'redis BRPOP']);
    for (const entry of unanswered) {
      expect(entry.response.unanswered?.signal).toBe('SIGINT');
      expect(Number.isNaN(Date.parse(entry.response.unanswered?.signalAt ?? ''))).toBe(false);
    }
    // As a file it is version 3, which a tracetape that cannot replay an unanswered call refuses.
    const file = path.join(store.dir, `${traceId}.tape.json`);
    const written = await tracetape(['tape', traceId, '-o', file], env);
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).version).toBe(3);

    const sentBefore = upstream.count();
    const replayed = await tracetape(['replay', traceId, '--strict', '--', 'node', APP], appEnv());
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toMatch(/ended by SIGINT at step \d+, as the recording was/);
    expect(replayed.stderr).toMatch(/5 served, 0 unconsumed, 0 blocked/);
    // The two waiting calls were taken from the tape, not sent, and not answered either.
    expect(replayed.stderr).toMatch(/4 side effect\(s\) suppressed: .*\(answered from the tape, 2 left unanswered as recorded, not sent;/);
    // Nothing reached the upstream or the queue: the replayed LPUSH would have left a job behind.
    expect(upstream.count()).toBe(sentBefore);
    expect(await queueLength()).toBe(0);
  });

  it('shows the stored replay in tracetape ui, in Chromium: the waiting steps left unanswered, and how it ended', async () => {
    const recorded = await recordUntilSignal('SIGINT', 'terminal');
    const traceId = recordedTraceId(recorded.stderr);
    const replayed = await tracetape(['replay', traceId, '--', 'node', APP], appEnv());
    expect(replayed.code, replayed.stderr).toBe(0);
    const replayTraceId = /replay stored as trace ([0-9a-f]{32})/.exec(replayed.stderr)?.[1];
    expect(replayTraceId, replayed.stderr).toMatch(/^[0-9a-f]{32}$/);

    const ui = await startUi(env);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${ui.origin}/replays/${replayTraceId}`);
      const steps = page.getByTestId('replay-step');
      // The page loads the replay, then its recording: as long as a loaded machine takes.
      await pollPage(() => steps.count()).toBe(5);
      const outcomes = await steps.evaluateAll((els) => els.map((el) => el.getAttribute('data-outcome')));
      expect(outcomes.filter((outcome) => outcome === 'unanswered')).toHaveLength(2);
      expect(outcomes.filter((outcome) => outcome === 'served')).toHaveLength(3);
      expect(await page.locator('[data-outcome="unanswered"]').first().textContent()).toContain('left unanswered, as recorded');
      expect(await page.getByTestId('ended-as-recorded').textContent()).toMatch(/by SIGINT at step \d+, as the recording was/);
      // Its exit code is the signal's, which tracetape replay did not hold against it: not marked bad.
      expect(await page.locator('dt:text-is("exit code") + dd').getAttribute('class')).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await ui.stop();
    }
  });

  it('ends the replay under a wrapper as recorded: the worker by SIGINT, the wrapper by its own exit', async () => {
    const recorded = await recordUntilSignal('SIGINT', 'terminal', {}, ['node', WRAPPER, APP]);
    expect(recorded.stdout).toContain('waiting for the next job');
    expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
    const traceId = recordedTraceId(recorded.stderr);
    const unanswered = (await tapeOf(traceId)).entries.filter((entry) => entry.response.unanswered);
    expect(unanswered.map((entry) => entry.process)).toEqual(['0.1', '0.1']);

    const replayed = await tracetape(['replay', traceId, '--strict', '--', 'node', WRAPPER, APP], appEnv());
    // The wrapper exits 1 as its child dies by the signal the hook raised there: no failure of the replay.
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toMatch(/ended by SIGINT at step \d+ in process 0\.1, as the recording was/);
  });

  it('leaves a long-poll GET unanswered when reads of its host go live: the replay ends as recorded instead of waiting on the network', async () => {
    const recorded = await recordUntilSignal('SIGINT', 'terminal', { POLL_METHOD: 'GET' });
    expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
    const traceId = recordedTraceId(recorded.stderr);

    // As `tracetape check --mode live-read` runs it: reads of the upstream go to the network.
    const sentBefore = upstream.count();
    const host = new URL(upstream.url).host;
    const replayed = await tracetape(['replay', traceId, '--', 'node', APP], appEnv({ POLL_METHOD: 'GET', TRACETAPE_LIVE_READ_HOSTS: host }));
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toMatch(/ended by SIGINT at step \d+, as the recording was/);
    // The settings GET went live; the long poll, which never had an answer, did not.
    expect(upstream.count()).toBe(sentBefore + 1);
  });

  it("ends the replay with SIGTERM for a worker with its own handler, whose shutdown runs as recorded", async () => {
    const recorded = await recordUntilSignal('SIGTERM', 'record', { OWN_HANDLER: '1' });
    expect(recorded.stdout).toContain('stopping on SIGTERM');
    expect(recorded.stderr).not.toMatch(/INCOMPLETE|lost/);
    expect(recorded.code).toBe(0);
    const traceId = recordedTraceId(recorded.stderr);
    const signals = (await tapeOf(traceId)).entries.flatMap((entry) => entry.response.unanswered?.signal ?? []);
    expect(signals).toEqual(['SIGTERM', 'SIGTERM']);

    const replayed = await tracetape(['replay', traceId, '--', 'node', APP], appEnv({ OWN_HANDLER: '1' }));
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toMatch(/ended by SIGTERM at step \d+, as the recording was/);
  });
});
