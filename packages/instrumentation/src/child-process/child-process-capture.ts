import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { context, trace, type Span, type Tracer } from '@opentelemetry/api';
import { requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import {
  childProcessKeyRules,
  outcomeResponse,
  outputChunk,
  recordedError,
  type ChildOutcome,
  type ChildProcessCall,
  type StdinRecord,
} from './child-process-call.js';
import { endChildSpan, startChildSpan } from './child-span.js';
import { boundaryEnvironment } from './boundary-environment.js';
import { bytesOf, environmentNames, ownStream, pipedInheritance, startArguments, stdioModes, workingDirectory, type AsyncStarter, type ChildStart, type SyncStarter } from './child-start.js';
import { syncStarterResult } from './exec-semantics.js';
import { nodeSpawnSync, type ChildProcessDoor, type StartRunners } from './patch-starters.js';

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface ChildProcessCaptureOptions {
  /** Output (stdout and stderr together) past this is not kept, and the call is marked truncated (default 16 MiB, as bodies). */
  maxOutputBytes?: number;
}

/**
 * Capture for child processes that are boundary calls: the child runs as the app asked, and the
 * door watches it without holding anything back (stdout and stderr are read where the pipe pushes
 * them, stdin where the app writes it; no listener is added that would change how the child's
 * events or streams behave). The call is recorded when the child closes.
 *
 * Every such call is recorded as a side effect: the door cannot tell `git status` from `rm -rf`,
 * and a replay that did not run a command that wrote should say so.
 */
export class ChildProcessCapture implements ChildProcessDoor {
  private readonly maxOutputBytes: number;
  /** Children not closed yet, each with the way to record it as it stands. */
  private readonly running = new Set<() => void>();
  private readonly undoAtEnd: () => void;

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
    private readonly tracer: Tracer,
    options: ChildProcessCaptureOptions = {},
  ) {
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    // A child still running when the process ends (a server the app left behind, a tool it
    // unref'd) is recorded as it stands: its output so far, and no end.
    this.undoAtEnd = registry.atProcessEnd(() => {
      for (const record of [...this.running]) record();
    });
  }

  dispose(): void {
    this.undoAtEnd();
  }

  async(start: ChildStart & { api: AsyncStarter }, run: StartRunners<ChildProcess>): ChildProcess {
    const span = startChildSpan(this.tracer, start, this.redactor);
    const began = performance.now();
    const piped = pipedInheritance(start.options);
    let child: ChildProcess;
    try {
      const env = boundaryEnvironment(start.options.env);
      const options = { ...start.options, ...(env ? { env } : {}), ...(piped ? { stdio: piped.stdio } : {}) };
      child = context.with(trace.setSpan(context.active(), span), () => run.node(env || piped ? startArguments(start, options) : undefined));
    } catch (error) {
      // Node refused the arguments: no call was made.
      span.end();
      throw error;
    }
    const output = new OutputRecorder(this.redactor, this.maxOutputBytes, began);
    output.tap(child.stdout, 1);
    output.tap(child.stderr, 2);
    for (const fd of piped?.fds ?? []) passOn(child, fd);
    const stdinMode = stdioModes(start.options)[0];
    const stdin = stdinMode === 'pipe' && child.stdin ? watchStdin(child.stdin) : undefined;
    const outcome: ChildOutcome = { spawned: false, exitCode: null, signal: null, output: output.chunks };
    const emit = child.emit;
    const capture = this;
    let recorded = false;
    const finish = (): void => {
      if (recorded) return;
      recorded = true;
      capture.running.delete(stillRunning);
      if (output.truncated) outcome.truncated = true;
      capture.record(span, start, stdin ? { written: stdin.written(), open: !stdin.ended() } : { from: stdinMode === 'pipe' ? 'other' : stdinMode }, outcome);
    };
    // Seen before the app's listeners run, and without adding any: an 'error' listener of ours
    // would keep an unhandled spawn error from reaching the app as it would have.
    const stillRunning = (): void => {
      outcome.running = true;
      finish();
    };
    this.running.add(stillRunning);
    child.emit = function (this: ChildProcess, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'spawn') {
        outcome.spawned = true;
        if (child.pid !== undefined) outcome.pid = child.pid;
      } else if (event === 'error') {
        outcome.error ??= recordedError(args[0], capture.redactor);
        // A start that failed (ENOENT) is over: the app may go on before its 'close' comes.
        if (!outcome.spawned) finish();
      } else if (event === 'exit') [outcome.exitCode, outcome.signal] = [args[0] as number | null, args[1] as string | null];
      else if (event === 'close') {
        if (outcome.exitCode === null && outcome.signal === null && outcome.spawned) [outcome.exitCode, outcome.signal] = [args[0] as number | null, args[1] as string | null];
        finish();
      }
      return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
    } as typeof child.emit;
    return child;
  }

  sync(start: ChildStart & { api: SyncStarter }, _run: StartRunners<unknown>): unknown {
    const span = startChildSpan(this.tracer, start, this.redactor);
    const began = performance.now();
    // Node's own spawnSync, as execSync and execFileSync call it, with the bytes as they came: the
    // app's `encoding` is applied to them after they are recorded.
    const { encoding: _encoding, ...options } = start.options;
    const piped = pipedInheritance(start.options);
    const raw = context.with(trace.setSpan(context.active(), span), () =>
      nodeSpawnSync(start.command, start.args, {
        ...options,
        ...(start.shell ? { shell: start.shell } : {}),
        ...(piped ? { stdio: piped.stdio } : {}),
        env: boundaryEnvironment(options.env) ?? options.env,
      } as never),
    ) as unknown as SpawnSyncReturns<Buffer>;
    const elapsed = performance.now() - began;
    const output = new OutputRecorder(this.redactor, this.maxOutputBytes, began);
    if (raw.stdout) output.add(1, raw.stdout, elapsed);
    if (raw.stderr) output.add(2, raw.stderr, elapsed);
    const outcome: ChildOutcome = { spawned: raw.pid !== 0, exitCode: raw.status, signal: raw.signal, output: output.chunks };
    if (raw.pid) outcome.pid = raw.pid;
    if (raw.error) outcome.error = recordedError(raw.error, this.redactor);
    if (output.truncated) outcome.truncated = true;
    const stdinMode = stdioModes(start.options)[0];
    const stdin: StdinRecord = stdinMode === 'pipe' ? { written: bytesOf(start.options.input) ?? Buffer.alloc(0), open: false } : { from: stdinMode };
    this.record(span, start, stdin, outcome);
    // What the child printed to an inherited stream goes where it would have, and is no part of the result.
    for (const fd of piped?.fds ?? []) {
      const printed = raw.output?.[fd];
      if (printed) ownStream(fd).write(printed);
      if (raw.output) raw.output[fd] = null;
      if (fd === 1) (raw as { stdout: Buffer | null }).stdout = null;
      else (raw as { stderr: Buffer | null }).stderr = null;
    }
    return syncStarterResult(start, raw);
  }

  private record(span: Span, start: ChildStart, stdin: StdinRecord, outcome: ChildOutcome): void {
    const call: ChildProcessCall = { api: start.api, command: start.command, args: start.args, cwd: workingDirectory(start.options.cwd), stdin };
    if (start.shell !== undefined) call.shell = start.shell;
    const capture = this.registry.track(span, 'process');
    try {
      const key = requestKey(call, this.redactor, childProcessKeyRules());
      // Names only: what the child could read, never what it read.
      const names = environmentNames(start.options);
      capture.setRequestNow({ inputHash: key.hash, request: { normalized: key.normalized, headers: [['env', names.join(' ')]] }, sideEffect: true });
      capture.setResponse(outcomeResponse(outcome));
    } catch (error) {
      capture.setRequest(Promise.reject(error instanceof Error ? error : new Error(String(error))));
    }
    endChildSpan(span, outcome);
  }
}

/** stdout and stderr as they arrive, in one list (their interleaving is part of what happened), within the size limit. */
class OutputRecorder {
  readonly chunks: ChildOutcome['output'] = [];
  truncated = false;
  private bytes = 0;

  constructor(
    private readonly redactor: Redactor,
    private readonly maxBytes: number,
    private readonly began: number,
  ) {}

  /** Reads what the pipe pushes into the stream, whoever reads it and whenever: the app's flow is unchanged. */
  tap(stream: Readable | null, fd: 1 | 2): void {
    if (!stream) return;
    const push = stream.push;
    const recorder = this;
    stream.push = function (this: Readable, chunk: unknown, encoding?: BufferEncoding): boolean {
      const bytes = chunk === null || chunk === undefined ? undefined : bytesOf(chunk, encoding);
      if (bytes && bytes.byteLength > 0) recorder.add(fd, bytes, performance.now() - recorder.began);
      return push.call(this, chunk, encoding);
    };
  }

  add(fd: 1 | 2, bytes: Uint8Array, offsetMs: number): void {
    if (this.truncated) return;
    if (this.bytes + bytes.byteLength > this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.bytes += bytes.byteLength;
    this.chunks.push(outputChunk(fd, offsetMs, bytes, this.redactor));
  }
}

/** What the app writes to the child's stdin, read from its calls: write() and end(). */
function watchStdin(stdin: Writable): { written(): Buffer; ended(): boolean } {
  const parts: Buffer[] = [];
  let ended = false;
  const write = stdin.write;
  const end = stdin.end;
  stdin.write = function (this: Writable, chunk: unknown, ...rest: unknown[]): boolean {
    const bytes = bytesOf(chunk, rest[0]);
    if (bytes) parts.push(Buffer.from(bytes));
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stdin.write;
  stdin.end = function (this: Writable, ...args: unknown[]): Writable {
    const [chunk, encoding] = args;
    if (typeof chunk !== 'function') {
      const bytes = bytesOf(chunk, encoding);
      if (bytes) parts.push(Buffer.from(bytes));
    }
    ended = true;
    return (end as (...args: unknown[]) => Writable).apply(this, args);
  } as typeof stdin.end;
  return { written: () => Buffer.concat(parts), ended: () => ended };
}

/** A stream the app asked to inherit, piped by the door: passed on to this process's own, and hidden from the app as Node hides it. */
function passOn(child: ChildProcess, fd: 1 | 2): void {
  const stream = fd === 1 ? child.stdout : child.stderr;
  stream?.on('data', (chunk: Buffer) => ownStream(fd).write(chunk));
  const stdio = child.stdio as unknown as Array<unknown>;
  stdio[fd] = null;
  if (fd === 1) (child as { stdout: unknown }).stdout = null;
  else (child as { stderr: unknown }).stderr = null;
}
