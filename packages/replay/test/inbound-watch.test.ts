import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHooked } from '../src/child-process.js';
import { watchForInboundOutcome } from '../src/inbound-watch.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-inbound-watch-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const line = (processPath: string, inbound?: object): string =>
  `${JSON.stringify({ pid: 1, process: processPath, report: { traceId: 't', served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [], ...(inbound ? { inbound } : {}) } })}\n`;

describe('watching the report file for the replayed inbound exchange', () => {
  it("resolves with the process whose line carries the inbound outcome, once that line is whole", async () => {
    const file = path.join(scratch, 'report.jsonl');
    const watch = watchForInboundOutcome(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    let answeredIn: string | undefined;
    void watch.answered.then((process) => (answeredIn = process));

    // Processes that stood by write their lines first; the worker's arrives in two writes.
    fs.appendFileSync(file, line('0.1'));
    const workerLine = line('0.2', { method: 'GET', url: 'http://127.0.0.1:1/b', recordedStatus: 200, replayedStatus: 200, match: true, diff: [] });
    fs.appendFileSync(file, workerLine.slice(0, 40));
    fs.appendFileSync(file, workerLine.slice(40));
    expect(await watch.answered).toBe('0.2');
    expect(answeredIn).toBe('0.2');
    watch.close();
  });
});

describe('watching a report file the replay removes', () => {
  it('stops watching, and throws nothing, when the file goes (a replay that failed before its command did)', async () => {
    const file = path.join(scratch, 'removed.jsonl');
    const watch = watchForInboundOutcome(file);
    // A watch of the test's own on the same file: once it has heard of the removal, so has the replay's.
    const heard = new Promise<void>((resolve) => {
      const own = fs.watch(file, () => {
        own.close();
        resolve();
      });
    });
    fs.rmSync(file);
    await heard;
    await new Promise((resolve) => setImmediate(resolve));
    let answered = false;
    void watch.answered.then(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    watch.close();
  });
});

describe('a hooked command tracetape stops', () => {
  it('is sent SIGTERM once it has done its work and is still running after the grace period', async () => {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const running = runHooked({
      command: ['node', '-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)'],
      env: { TRACETAPE_MODE: 'off' },
      captureStdout: true,
      stopAfter: { done: finished, graceMs: 50 },
    });
    done();
    const outcome = await running;
    expect(outcome).toMatchObject({ stoppedBy: 'SIGTERM', signal: 'SIGTERM', exitCode: 143 });
  });

  it('is left alone when it ends by itself', async () => {
    const outcome = await runHooked({ command: ['node', '-e', ''], env: { TRACETAPE_MODE: 'off' }, stopAfter: { done: Promise.resolve(), graceMs: 60_000 } });
    expect(outcome).toEqual({ exitCode: 0, signal: null });
  });
});
