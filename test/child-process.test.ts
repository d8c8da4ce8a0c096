import fs from 'node:fs';
import path from 'node:path';
import type { Tape } from '@tracetape/core';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, tempDir, tracetape } from './support/cli.js';

// The child-process door through the real CLI: an app runs real programs that are not Node (a
// shell that appends to a file, cat fed on stdin, execSync, git, non-zero exits); the replay
// answers every one from the tape, so the file is not appended to again, and a changed argument
// or an extra program is a divergence that fails the replay.
const tmp = tempDir('tracetape-child-process-');
const sideEffect = path.join(tmp.dir, 'side-effect.txt');
const env = { TRACETAPE_DIR: path.join(tmp.dir, 'store'), SIDE_EFFECT_FILE: sideEffect };
const command = ['node', path.join(FIXTURES, 'child-process-app.mjs')];

afterAll(() => tmp.remove());

describe('child processes', () => {
  it('records the programs a run starts and replays them from the tape without starting any', async () => {
    const recorded = await tracetape(['record', '--', ...command], env);
    expect(recorded.code, recorded.stderr).toBe(0);
    expect(recorded.stdout).toMatch(
      /^sh: appended by (\d+) \(exit 0\)\ncat: hello from stdin\nexecSync: synced \d+\nexecSync failed: status 3, stderr failing\ngit: git version [^\n]+\nexecFile failed: code 2, stdout partial\nspawnSync: status 1, stdout sync \d+\ninherited by execSync \d+\ninherited by spawn \d+\ndaemon: ready \d+\n$/,
    );
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');
    expect(recorded.stderr).toMatch(/recorded trace [0-9a-f]{32} \(child-process-app\.mjs, 10 calls\)/);
    const traceId = recordedTraceId(recorded.stderr);

    const built = await tracetape(['tape', traceId, '--json'], env);
    expect(built.code, built.stderr).toBe(0);
    const tape = JSON.parse(built.stdout) as Tape;
    expect(tape.entries.map((entry) => [entry.kind, entry.request.normalized.method, entry.request.normalized.url, entry.sideEffect])).toEqual([
      ['process', 'spawn', 'sh', true],
      ['process', 'spawn', 'cat', true],
      ['process', 'execSync', 'printf "%s" "synced $$"', true],
      ['process', 'execSync', 'echo failing >&2; exit 3', true],
      ['process', 'execFile', 'git', true],
      ['process', 'execFile', 'sh', true],
      ['process', 'spawnSync', 'sh', true],
      ['process', 'execSync', 'echo "inherited by execSync $$"', true],
      ['process', 'spawn', 'sh', true],
      ['process', 'spawn', 'sh', true],
    ]);
    expect(tape.entries[9]!.response).toMatchObject({ statusText: 'still running at exit', complete: false });
    expect(JSON.parse(tape.entries[1]!.request.normalized.body!.data)).toMatchObject({ stdin: 'hello from stdin' });
    // Variable names, never values.
    const names = tape.entries[0]!.request.headers.find(([name]) => name === 'env')?.[1].split(' ');
    expect(names).toContain('SIDE_EFFECT_FILE');

    const replayed = await tracetape(['replay', traceId, '--', ...command], env);
    expect(replayed.code, replayed.stderr).toBe(0);
    // The same output, the shell's PID included: it is the recorded one.
    expect(replayed.stdout).toBe(recorded.stdout);
    expect(replayed.stderr).toContain(`replay of ${traceId}: 10 served, 0 unconsumed, 0 blocked, 10 side effect(s) suppressed`);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');

    const changed = await tracetape(['replay', traceId, '--', ...command], { ...env, WORD: 'changed' });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('DIVERGED at call #1: spawn sh is not on the tape.');
    expect(changed.stderr).toMatch(/body\.args\[3\]\s+"appended"\s+"changed"/);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');

    const extra = await tracetape(['replay', traceId, '--', ...command], { ...env, EXTRA_CALL: '1' });
    expect(extra.code).toBe(1);
    expect(extra.stdout).toContain('extra: {"error":"TRACETAPE_REPLAY_DIVERGENCE"}');
    expect(extra.stderr).toContain('DIVERGED at call #11: spawn sh is not on the tape.');
    expect(extra.stderr).toContain('10 served, 0 unconsumed, 1 blocked');
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');

    // --then-live: what the tape holds is served, the extra program runs for real and is recorded.
    const live = await tracetape(['replay', '--then-live', traceId, '--', ...command], { ...env, EXTRA_CALL: '1' });
    expect(live.code, live.stderr).toBe(0);
    expect(live.stderr).toContain('10 served, 0 unconsumed, 0 blocked, 10 side effect(s) suppressed, 1 live');
    expect(live.stderr).toMatch(/recorded trace [0-9a-f]{32} \(child-process-app\.mjs, 1 call, 10 from the tape/);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\nextra\n');
  }, 180_000);
});
