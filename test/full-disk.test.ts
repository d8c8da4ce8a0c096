import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// An app that records more than the log can take: the loss is named, and nothing says "recorded".
const work = tempDir('tracetape-full-disk-');
const APP = path.join(FIXTURES, 'steady-calls-app.mjs');
let upstream: CountingServer;

// A real full disk needs a small filesystem of its own: a 2 MiB tmpfs, when this runs as root.
const tmpfsDir = path.join(work.dir, 'tmpfs');
const mounted = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  fs.mkdirSync(tmpfsDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', tmpfsDir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  upstream = await startCountingServer(({ url }) => ({ body: JSON.stringify({ url }) }));
});

afterAll(async () => {
  await upstream.close();
  if (mounted) execFileSync('umount', [tmpfsDir]);
  work.remove();
});

/** Records the app making `calls` calls with 8 KB bodies; returns what record said and the run's trace. */
async function recordTooMuch(env: Record<string, string>, calls: number, exitCode: number) {
  const result = await tracetape(['record', '--', 'node', APP], {
    ...env,
    UPSTREAM_URL: upstream.url,
    CALLS: String(calls),
    CONCURRENCY: '8',
    PAUSE_MS: '0',
    BODY_BYTES: '8000',
    EXIT_CODE: String(exitCode),
  });
  const traceId = /^trace ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
  expect(traceId, result.stdout + result.stderr).toBeDefined();
  expect(result.stdout).toContain(`made ${calls} calls`);
  return { result, traceId: traceId! };
}

/** The loss record says, for the whole trace, how many spans were lost: stored + lost is every span made. */
async function expectLossAccounted(env: Record<string, string>, traceId: string, stderr: string, calls: number, reason: RegExp) {
  const loss = new RegExp(`tracetape: trace ${traceId} \\(steady-calls-app\\.mjs, ${calls} calls\\) is INCOMPLETE: (\\d+) span\\(s\\) were lost: (.*)`).exec(stderr);
  expect(loss, stderr).not.toBeNull();
  expect(loss![2]).toMatch(reason);
  expect(stderr).not.toContain(`recorded trace ${traceId}`);
  expect(stderr).not.toContain('replay it with');
  const lost = Number(loss![1]);
  expect(lost).toBeGreaterThan(0);

  const listed = await tracetape(['traces'], env);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`^${traceId}\\s.*INCOMPLETE`, 'm'));
  expect(listed.stdout).toMatch(new RegExp(`^${traceId}: INCOMPLETE, ${lost} span\\(s\\) lost: `, 'm'));
  const [row] = await queryRows<{ rows: string; distinct: string }>(
    `SELECT count() AS rows, uniqExact(SpanId) AS distinct FROM otel_traces WHERE TraceId = '${traceId}'`,
    env,
  );
  expect(Number(row!.rows)).toBe(Number(row!.distinct));
  // One span per call and the run's root span: each is either stored or counted as lost.
  expect(Number(row!.rows) + lost).toBe(calls + 1);
}

describe('recording more than the log can take', () => {
  it('names the loss when TRACETAPE_LOG_MAX_BYTES is reached, exits non-zero and says the app\'s own exit code', async () => {
    const env = { TRACETAPE_DIR: path.join(work.dir, 'bounded'), TRACETAPE_LOG_MAX_BYTES: String(256 * 1024) };
    const calls = 120;
    const { result, traceId } = await recordTooMuch(env, calls, 0);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the recording lost spans, so record exits 1; the command itself exited 0.');
    await expectLossAccounted(env, traceId, result.stderr, calls, /would grow past 262144 bytes \(TRACETAPE_LOG_MAX_BYTES\)/);

    // An app that fails on its own keeps its exit code.
    const failing = await recordTooMuch(env, calls, 3);
    expect(failing.result.code).toBe(3);
    expect(failing.result.stderr).toContain('the recording lost spans; record exits 3, as the command itself did.');
    await expectLossAccounted(env, failing.traceId, failing.result.stderr, calls, /TRACETAPE_LOG_MAX_BYTES/);
  });

  it.runIf(mounted)('names the loss when the disk holding the log is full', async () => {
    const env = { TRACETAPE_DIR: path.join(work.dir, 'store'), TRACETAPE_LOG_DIR: path.join(tmpfsDir, 'log') };
    const calls = 400;
    const { result, traceId } = await recordTooMuch(env, calls, 0);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the command itself exited 0.');
    // Whatever room the app's last failed writes left, take it: the disk is full to the last byte.
    const filler = fs.openSync(path.join(tmpfsDir, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(filler, Buffer.alloc(4096));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(filler);
    }
    // Reading still works (the ingester has the room the log keeps for it), and frees the disk.
    await expectLossAccounted(env, traceId, result.stderr, calls, /the disk holding the recording log at .* is full \(ENOSPC/);
    fs.rmSync(path.join(tmpfsDir, 'filler'));
    // The log was moved into the store: the disk has room again, and the next run records whole.
    const small = await tracetape(['record', '--', 'node', APP], { ...env, UPSTREAM_URL: upstream.url, CALLS: '3' });
    expect(small.code, small.stderr).toBe(0);
    expect(small.stderr).toMatch(/recorded trace [0-9a-f]{32} \(steady-calls-app\.mjs, 3 calls\)/);
  });
});
