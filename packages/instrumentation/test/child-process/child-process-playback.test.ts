import childProcess from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { trace } from '@opentelemetry/api';
import { ReplayDivergenceError, TapeMatcher, type Tape } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildProcessPlayback } from '../../src/child-process/child-process-playback.js';
import { installChildProcessDoor } from '../../src/child-process/patch-starters.js';
import { CompletionOrder } from '../../src/playback/completion-order.js';
import { recordChildren, redactor } from './record-children.js';

// Record an app's children for real, then replay the same app with the playback door: the same
// results, and nothing spawned (the side-effect file is not touched again).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-child-playback-'));
const sideEffect = path.join(dir, 'side-effect.txt');

interface Result {
  out: string;
  err: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  events: string[];
  error?: Error;
}

function settled(child: childProcess.ChildProcess): Promise<Result> {
  return new Promise((resolve) => {
    const result: Result = { out: '', err: '', code: null, signal: null, events: [] };
    child.stdout?.on('data', (chunk: Buffer) => (result.out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (result.err += chunk.toString()));
    child.on('spawn', () => result.events.push('spawn'));
    child.on('exit', () => result.events.push('exit'));
    child.on('error', (error) => {
      result.events.push('error');
      result.error = error;
    });
    child.on('close', (code, signal) => {
      result.events.push('close');
      resolve({ ...result, code, signal });
    });
  });
}

/** What the app prints, whichever mode its children run in. */
async function app(word = 'appended', input = 'from stdin'): Promise<unknown[]> {
  const seen: unknown[] = [];
  const started = childProcess.spawn('sh', ['-c', 'echo "$1" >> "$0"; echo "$1 by $$"; echo warn >&2', sideEffect, word]);
  const shell = await settled(started);
  seen.push(shell.out, shell.err, shell.code, shell.events, started instanceof childProcess.ChildProcess);
  const cat = childProcess.spawn('cat');
  cat.stdin.write('hello ');
  setTimeout(() => cat.stdin.end(input), 20);
  seen.push((await settled(cat)).out);
  seen.push(childProcess.execSync('printf "%s" "pid $$"', { encoding: 'utf8' }));
  try {
    childProcess.execSync('echo failing >&2; exit 3', { stdio: 'pipe' });
  } catch (error) {
    seen.push((error as { status: number }).status, (error as Error).message);
  }
  seen.push(await promisify(childProcess.execFile)('git', ['--version']));
  seen.push(await promisify(childProcess.exec)('echo "exec $$"; exit 2').catch((error: { code: number; stdout: string }) => [error.code, error.stdout]));
  const sync = childProcess.spawnSync('sh', ['-c', 'echo "sync $$"; exit 1']);
  seen.push(sync.status, sync.stdout.toString(), sync.output.length);
  const killed = await settled(childProcess.spawn('sh', ['-c', 'kill -TERM $$'], { stdio: 'ignore' }));
  seen.push(killed.code, killed.signal);
  seen.push(await settled(childProcess.spawn('no-such-program-tracetape')).then((result) => [result.events, (result.error as NodeJS.ErrnoException).code]));
  // git status style: the app never ends stdin, and the child exits anyway.
  seen.push((await settled(childProcess.spawn('printf', ['%s', 'left open']))).out);
  // Killed before the app ended its stdin: answered with what was written, ending as recorded.
  const interrupted = childProcess.spawn('cat');
  interrupted.stdin.on('error', () => undefined);
  interrupted.stdin.write('never ended');
  interrupted.kill();
  const stopped = await settled(interrupted);
  seen.push(stopped.code, stopped.signal);
  return seen;
}

let tape: Tape;
let recordedResult: unknown[];

beforeAll(async () => {
  ({ tape } = await recordChildren(async () => {
    recordedResult = await app();
  }));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function replaying(): { divergences: Error[]; matcher: TapeMatcher; undo: () => void } {
  const divergences: Error[] = [];
  const matcher = new TapeMatcher(tape);
  const options = { tape, onDivergence: (error: Error) => divergences.push(error) };
  const door = new ChildProcessPlayback(matcher, new CompletionOrder(tape.entries), redactor, trace.getTracer('test'), options);
  return { divergences, matcher, undo: installChildProcessDoor(door) };
}

describe('child-process playback', () => {
  it('answers every child from the tape, spawning nothing', async () => {
    expect(tape.entries.map((entry) => `${entry.request.normalized.method} ${entry.request.normalized.url}`)).toEqual([
      'spawn sh',
      'spawn cat',
      'execSync printf "%s" "pid $$"',
      'execSync echo failing >&2; exit 3',
      'execFile git',
      'exec echo "exec $$"; exit 2',
      'spawnSync sh',
      'spawn sh',
      'spawn no-such-program-tracetape',
      'spawn printf',
      'spawn cat',
    ]);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');
    const { divergences, matcher, undo } = replaying();
    try {
      expect(await app()).toEqual(recordedResult);
    } finally {
      undo();
    }
    expect(divergences).toEqual([]);
    expect(matcher.report()).toMatchObject({ unconsumed: [], blocked: [] });
    expect(matcher.report().sideEffectsSuppressed).toHaveLength(11);
    expect(recordedResult.slice(-2)).toEqual([null, 'SIGTERM']);
    // The recorded shell's PID came back, and the file was not appended to again.
    expect(recordedResult[0]).toMatch(/^appended by \d+\n$/);
    expect(recordedResult[4]).toBe(true);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');
  });

  it('fails a changed argument or stdin with the divergence, as the child\'s error then close; the sync forms throw it', async () => {
    const { divergences, undo } = replaying();
    let changedArgument: Result;
    let changedStdin: Result;
    let syncError: unknown;
    try {
      changedArgument = await settled(childProcess.spawn('sh', ['-c', 'echo "$1" >> "$0"; echo "$1 by $$"; echo warn >&2', sideEffect, 'changed']));
      const cat = childProcess.spawn('cat');
      cat.stdin.end('other input');
      changedStdin = await settled(cat);
      try {
        childProcess.execSync('printf "%s" "another $$"');
      } catch (error) {
        syncError = error;
      }
    } finally {
      undo();
    }
    expect(changedArgument.events).toEqual(['error', 'close']);
    expect(changedArgument.error).toBeInstanceOf(ReplayDivergenceError);
    const argumentDiff = (changedArgument.error as ReplayDivergenceError).details.diff;
    expect(argumentDiff).toEqual([{ path: 'body.args[3]', recorded: '"appended"', current: '"changed"' }]);
    // stdin was ended before 'spawn' was due: the divergence comes instead of it.
    expect(changedStdin.events).toEqual(['error', 'close']);
    expect((changedStdin.error as ReplayDivergenceError).details.diff).toEqual([{ path: 'body.stdin', recorded: '"hello from stdin"', current: '"other input"' }]);
    expect(syncError).toBeInstanceOf(ReplayDivergenceError);
    expect((syncError as ReplayDivergenceError).code).toBe('TRACETAPE_REPLAY_DIVERGENCE');
    expect(divergences).toHaveLength(3);
    expect(fs.readFileSync(sideEffect, 'utf8')).toBe('appended\n');
  });

  it('lets Node children run: they replay themselves', async () => {
    const { matcher, undo } = replaying();
    try {
      expect(childProcess.execFileSync(process.execPath, ['-e', 'process.stdout.write(String(6 * 7))']).toString()).toBe('42');
    } finally {
      undo();
    }
    expect(matcher.report().blocked).toEqual([]);
  });
});
