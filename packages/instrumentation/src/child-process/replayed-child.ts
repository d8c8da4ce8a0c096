import { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { chunkBytes, type ChildOutcome, type RecordedChildError } from './child-process-call.js';
import { ownStream, type ChildStart, type StdioMode } from './child-start.js';

/** A long interval that keeps the event loop alive while the child is pending, as a real child's pipes do. */
const KEEP_ALIVE_MS = 2 ** 30;

/**
 * A ChildProcess answered from the tape: nothing is spawned. It has the streams the app asked
 * for (`stdio` pipes), takes what the app writes to stdin, and plays a recorded outcome back:
 * 'spawn', the recorded stdout and stderr chunks in their order, 'exit' and 'close' with the
 * recorded code or signal; or Node's 'error' then 'close' for a start that failed. It is an
 * instance of ChildProcess, for code that checks.
 */
export class ReplayedChild extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: [Writable | null, Readable | null, Readable | null];
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  readonly connected = false;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  private readonly written: Buffer[] = [];
  private stdinEnded = false;
  private spawned = false;
  private settled = false;
  private closed = false;
  private keepAlive: NodeJS.Timeout | undefined = setInterval(() => undefined, KEEP_ALIVE_MS);

  /**
   * `onStdin` is told after each write to stdin and when the app ends (or destroys) it; `onKill`
   * when the app kills a child that has not been answered yet (what it wrote is then all it wrote).
   */
  constructor(
    start: ChildStart,
    private readonly modes: readonly StdioMode[],
    onStdin: () => void,
    private readonly onKill: () => void = () => undefined,
  ) {
    super();
    const shell = start.shell === true ? '/bin/sh' : start.shell;
    this.spawnfile = shell ?? start.command;
    this.spawnargs = shell ? [shell, '-c', [start.command, ...start.args].join(' ')] : [start.command, ...start.args];
    const ended = (): void => {
      if (this.stdinEnded) return;
      this.stdinEnded = true;
      onStdin();
    };
    this.stdin =
      modes[0] === 'pipe'
        ? new Writable({
            write: (chunk: Buffer, _encoding, callback) => {
              this.written.push(Buffer.from(chunk));
              callback();
              onStdin();
            },
            final: (callback) => {
              callback();
              ended();
            },
            destroy: (error, callback) => {
              callback(error);
              ended();
            },
          })
        : null;
    this.stdout = modes[1] === 'pipe' ? new Readable({ read: () => undefined }) : null;
    this.stderr = modes[2] === 'pipe' ? new Readable({ read: () => undefined }) : null;
    this.stdio = [this.stdin, this.stdout, this.stderr];
  }

  /** What the app has written to stdin so far, and whether it ended it. */
  stdinSoFar(): { written: Buffer; ended: boolean } {
    return { written: Buffer.concat(this.written), ended: this.stdinEnded };
  }

  /** 'spawn' for a child the tape says started, before its outcome is known (the app may wait for it to write stdin). */
  announceSpawn(pid: number | undefined): void {
    if (this.spawned || this.settled) return;
    this.spawned = true;
    this.pid = pid;
    this.emit('spawn');
  }

  /**
   * Plays the recorded outcome back: its output at once (an app may wait for a line before making
   * its next calls), its end once `ending` resolves (the end is what other calls may have to wait for).
   */
  async play(outcome: ChildOutcome, ending: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    if (this.settled) return;
    if (!outcome.spawned) {
      await ending();
      this.fail(rebuiltError(outcome.error, this), outcome.error?.errno ?? -2);
      return;
    }
    this.announceSpawn(outcome.pid);
    this.settled = true;
    for (const chunk of outcome.output) {
      const stream = chunk.fd === 1 ? this.stdout : this.stderr;
      if (stream) stream.push(chunkBytes(chunk));
      // Recorded through the door's pipe: the child wrote to this process's own stream.
      else if (this.modes[chunk.fd] === 'inherit') ownStream(chunk.fd).write(chunkBytes(chunk));
    }
    if (outcome.running) {
      // It outlived the recorded run: no end to play, and nothing of it held that process open.
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
      void ending();
      return;
    }
    await ending();
    this.stdout?.push(null);
    this.stderr?.push(null);
    this.exitCode = outcome.exitCode;
    this.signalCode = outcome.signal as NodeJS.Signals | null;
    this.emit('exit', this.exitCode, this.signalCode);
    await Promise.all([drained(this.stdout), drained(this.stderr)]);
    this.close(this.exitCode, this.signalCode);
  }

  /** Fails as Node fails a start: 'error' (on a later turn), then 'close'. */
  fail(error: Error, code: number | null = null): void {
    if (this.closed) return;
    this.settled = true;
    this.closed = true;
    process.nextTick(() => {
      this.emit('error', error);
      this.stdout?.push(null);
      this.stderr?.push(null);
      this.close(code, null);
    });
  }

  /** The tape plays on whatever the app asks: the recorded outcome says how the child ended. */
  kill(_signal?: NodeJS.Signals | number): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    this.killed = true;
    if (!this.settled) this.onKill();
    return true;
  }

  ref(): void {
    this.keepAlive?.ref();
  }

  unref(): void {
    this.keepAlive?.unref();
  }

  disconnect(): void {
    // No IPC channel: the door never answers fork().
  }

  private close(code: number | null, signal: NodeJS.Signals | null): void {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.emit('close', code, signal);
  }
}
Object.setPrototypeOf(ReplayedChild.prototype, ChildProcess.prototype);

/** Resolves once a stream the app reads has delivered everything, or at once for one nobody reads (Node closes those too). */
function drained(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    // An app that stops reading does not hold the child open either.
    stream.once('pause', () => resolve());
    setImmediate(() => {
      if (stream.readableFlowing !== true) resolve();
    });
  });
}

/** The error Node gave for a start that failed (ENOENT, EACCES), with its fields. */
function rebuiltError(recorded: RecordedChildError | undefined, child: ReplayedChild): Error {
  const error = new Error(recorded?.message ?? `spawn ${child.spawnfile} failed`);
  const fields: Record<string, unknown> = { errno: recorded?.errno, code: recorded?.code, syscall: recorded?.syscall, path: recorded?.path, spawnargs: child.spawnargs.slice(1) };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) (error as unknown as Record<string, unknown>)[name] = value;
  return error;
}
