import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import type { Span, Tracer } from '@opentelemetry/api';
import { requestKey, TruncatedPayloadError, type NormalizedRequest, type RequestKey, type Redactor, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { chunkBytes, childProcessKeyRules, outcomeOf, startOf, type ChildOutcome, type ChildProcessCall, type StdinRecord } from './child-process-call.js';
import { endChildSpan, startChildSpan } from './child-span.js';
import { bytesOf, ownStream, stdioModes, workingDirectory, type AsyncStarter, type ChildStart, type SyncStarter } from './child-start.js';
import { deliverExecResult, syncStarterResult } from './exec-semantics.js';
import type { ChildProcessDoor, StartRunners } from './patch-starters.js';
import { ReplayedChild } from './replayed-child.js';

/**
 * Playback for child processes that are boundary calls: nothing is spawned. A start is keyed as
 * capture keyed it and answered from the tape with a {@link ReplayedChild} (or, for the sync
 * forms, what they returned or threw). A start the tape does not hold fails with the divergence:
 * the child emits it as its 'error' (as Node emits ENOENT), then 'close'; the sync forms throw it.
 *
 * stdin is part of the key, and is only known when the app ends it: a child whose stdin is a pipe
 * is keyed then. Its command, arguments and directory are checked at once, so a changed argument
 * fails at the start; and a recorded child whose stdin the app never ended (`git status` with the
 * default pipes) is matched as soon as what was written so far is what the recording holds.
 *
 * Under --then-live a start whose command, arguments and directory the tape does not hold runs for
 * real (and is recorded anew); one that differs only in stdin is still a divergence, since the child
 * the app holds was already answered from the tape when stdin ended.
 */
export class ChildProcessPlayback implements ChildProcessDoor {
  private readonly rules = childProcessKeyRules();
  /** Recordings not yet served, by input hash: only this door serves the tape's child processes. */
  private readonly unserved = new Map<string, number>();
  /** The tape's child processes by their start (the key without stdin). */
  private readonly starts = new Map<string, TapeEntry[]>();

  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly tracer: Tracer,
    private readonly options: PlaybackOptions,
  ) {
    for (const entry of options.tape.entries) {
      if (entry.kind !== 'process') continue;
      this.unserved.set(entry.inputHash, (this.unserved.get(entry.inputHash) ?? 0) + 1);
      const start = startOf(entry.request.normalized);
      this.starts.set(start, [...(this.starts.get(start) ?? []), entry]);
    }
  }

  async(start: ChildStart & { api: AsyncStarter }, run: StartRunners<ChildProcess>): ChildProcess {
    const modes = stdioModes(start.options);
    const atStart: StdinRecord = modes[0] === 'pipe' ? { written: Buffer.alloc(0), open: true } : { from: modes[0] };
    const probe = this.key(start, atStart);
    const recordedStarts = this.starts.get(startOf(probe.normalized));
    if (this.options.thenLive && (modes[0] === 'pipe' ? !recordedStarts : !this.left(probe.hash))) {
      this.matcher.takeOrGoLive(probe.normalized, probe.hash);
      return run.next();
    }
    const span = startChildSpan(this.tracer, start, this.redactor);
    let keyed = false;
    const attempt = (stdin: StdinRecord, final: boolean): void => {
      if (keyed) return;
      const key = this.key(start, stdin);
      if (!final && !this.left(key.hash)) return;
      keyed = true;
      const answer = this.take(key.normalized, key.hash, span);
      if (answer instanceof Error) {
        child.fail(answer);
        endChildSpan(span, { spawned: false, exitCode: null, signal: null, output: [], error: { message: answer.message, code: codeOf(answer) } });
        return;
      }
      void this.answer(child, answer, span);
    };
    const onStdin = (): void => {
      const { written, ended } = child.stdinSoFar();
      if (ended) attempt({ written, open: false }, true);
      // A write may be followed by more in the same turn: look once the app has yielded.
      else
        setImmediate(() => {
          const now = child.stdinSoFar();
          if (!now.ended) attempt({ written: now.written, open: true }, false);
        });
    };
    // Killed before it was answered: the recording it matches, if any, is one the app killed with stdin still open.
    const onKill = (): void => attempt({ written: child.stdinSoFar().written, open: !child.stdinSoFar().ended }, true);
    const child = new ReplayedChild(start, modes, onStdin, onKill);
    if (start.callback) deliverExecResult(child as unknown as ChildProcess, start);
    if (modes[0] !== 'pipe' || !recordedStarts) {
      // Without a stdin pipe the key is whole now; with one, no recording starts this way whatever
      // the app writes, and the divergence names what changed.
      attempt(atStart, true);
    } else {
      const first = outcomeOf(recordedStarts[0]!.response);
      if (first.spawned) process.nextTick(() => child.announceSpawn(first.pid));
      setImmediate(onStdin);
    }
    return child as unknown as ChildProcess;
  }

  sync(start: ChildStart & { api: SyncStarter }, run: StartRunners<unknown>): unknown {
    const stdinMode = stdioModes(start.options)[0];
    const stdin: StdinRecord = stdinMode === 'pipe' ? { written: bytesOf(start.options.input) ?? Buffer.alloc(0), open: false } : { from: stdinMode };
    const key = this.key(start, stdin);
    if (this.options.thenLive && !this.left(key.hash)) {
      this.matcher.takeOrGoLive(key.normalized, key.hash);
      return run.next();
    }
    const span = startChildSpan(this.tracer, start, this.redactor);
    const entry = this.take(key.normalized, key.hash, span);
    if (entry instanceof Error) {
      span.end();
      throw entry;
    }
    this.order.markAnswered(entry.step);
    const outcome = outcomeOf(entry.response);
    endChildSpan(span, outcome);
    if (outcome.truncated) throw new TruncatedPayloadError(entry.step, key.normalized.method, key.normalized.url);
    const modes = stdioModes(start.options);
    for (const chunk of outcome.output) if (modes[chunk.fd] === 'inherit') ownStream(chunk.fd).write(chunkBytes(chunk));
    return syncStarterResult(start, syncReturnsOf(outcome, start));
  }

  private key(start: ChildStart, stdin: StdinRecord): RequestKey<unknown, NormalizedRequest> {
    const call: ChildProcessCall = { api: start.api, command: start.command, args: start.args, cwd: workingDirectory(start.options.cwd), stdin };
    if (start.shell !== undefined) call.shell = start.shell;
    return requestKey(call, this.redactor, this.rules);
  }

  /** Whether the tape still holds a recording of this call. */
  private left(hash: string): boolean {
    return (this.unserved.get(hash) ?? 0) > 0;
  }

  /** The entry for this call, or the divergence (reported, so the replay fails) as the error to give the app. */
  private take(normalized: NormalizedRequest, hash: string, span: Span): TapeEntry | Error {
    const taken = takeStep(this.matcher, this.options, { normalized, hash }, span.spanContext().spanId);
    if ('error' in taken) return taken.error;
    this.unserved.set(hash, (this.unserved.get(hash) ?? 1) - 1);
    return taken.entry;
  }

  private async answer(child: ReplayedChild, entry: TapeEntry, span: Span): Promise<void> {
    const outcome = outcomeOf(entry.response);
    if (outcome.truncated) {
      const { method, url } = entry.request.normalized;
      this.order.markAnswered(entry.step);
      child.fail(new TruncatedPayloadError(entry.step, method, url));
      endChildSpan(span, { ...outcome, error: { message: 'truncated', code: 'TRACETAPE_PAYLOAD_TRUNCATED' } });
      return;
    }
    // The child ends in the order the recorded calls completed; its output need not wait.
    await child.play(outcome, async () => {
      await answerInTurn(this.order, entry);
      endChildSpan(span, outcome);
    });
  }
}

function codeOf(error: Error): string {
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/** spawnSync's result, with Buffers, as the recorded child produced it. */
function syncReturnsOf(outcome: ChildOutcome, start: ChildStart): SpawnSyncReturns<Buffer> {
  const modes = stdioModes(start.options);
  const collected = (fd: 1 | 2): Buffer | null =>
    modes[fd] === 'pipe' ? Buffer.concat(outcome.output.filter((chunk) => chunk.fd === fd).map(chunkBytes)) : null;
  const ret = {
    pid: outcome.pid ?? 0,
    output: outcome.spawned ? [null, collected(1), collected(2)] : null,
    stdout: outcome.spawned ? collected(1) : undefined,
    stderr: outcome.spawned ? collected(2) : undefined,
    status: outcome.exitCode,
    signal: outcome.signal,
  } as unknown as SpawnSyncReturns<Buffer>;
  if (outcome.error) {
    const error = new Error(outcome.error.message);
    Object.assign(error, { errno: outcome.error.errno, code: outcome.error.code, syscall: outcome.error.syscall, path: outcome.error.path, spawnargs: start.args });
    ret.error = error;
  }
  return ret;
}
