import { originOf } from './url-origin.js';
import { diffRequests, renderDiffTable, type FieldDiff } from './diff.js';
import { ModelDriftError, ReplayDivergenceError, type DivergenceDetails, type ModelDriftDetails } from './errors.js';
import { allowanceText, isModelDriftAllowed, modelDriftBetween, type ModelDrift, type ModelDriftAllowance } from './llm/drift.js';
import type { EndingSignal, NondeterminismUsage, NormalizedRequest, Tape, TapeEntry } from './tape.js';

export interface ServedStep {
  step: number;
  callIndex: number;
  method: string;
  url: string;
  status: number;
  /** A non-GET/HEAD/OPTIONS call: answered from the tape, so its side effect did not happen again. */
  sideEffect: boolean;
  /** Answered with a response given by `tracetape replay --override`, not the recorded one. */
  overridden?: boolean;
  /** Served although the call asked for another model or other sampling parameters: the user allowed it. */
  modelDrift?: ModelDrift;
  /** The `Idempotency-Key` the call carried now (not part of its hash): retries with one key are one effect. */
  idempotencyKey?: string;
  /** The recording never had an answer for it (the process ended first): taken, not sent, and left unanswered. */
  unanswered?: true;
}

/** What a door knows of a call beyond its normalised request, told to the matcher for the report only. */
export interface CallFacts {
  /** The `Idempotency-Key` header of an HTTP call. Never hashed: it does not change which step answers. */
  idempotencyKey?: string;
}

/** With `--then-live`: a call the tape did not hold, let through to the network (and recorded anew). */
export interface LiveCall {
  callIndex: number;
  method: string;
  url: string;
  /**
   * Why it went out: the tape lacked it (`--then-live`), its recording had no answer when its
   * process ended (the tape runs out there), or it is a read of a live-read host.
   */
  reason: DivergenceDetails['reason'] | 'unanswered' | 'live-read';
  closestStep?: number;
  /** The `Idempotency-Key` the call carried. */
  idempotencyKey?: string;
}

export interface BlockedCall {
  callIndex: number;
  method: string;
  url: string;
  /** `model-drift`: the tape holds this LLM call with another model or other sampling parameters. */
  reason: DivergenceDetails['reason'] | 'model-drift';
  /** For a model drift: the recorded and the requested model. */
  modelDrift?: ModelDrift;
  closestStep?: number;
  diff: FieldDiff[];
  /** The call came after the last step of an incomplete recording. */
  tapeEnded?: DivergenceDetails['tapeEnded'];
  /** The `Idempotency-Key` the call carried. */
  idempotencyKey?: string;
}

export interface UnconsumedStep {
  step: number;
  method: string;
  url: string;
  /** The process of the run that recorded the step, when the run had several. */
  process?: string;
}

/** A replayed server trace: the recorded inbound request was sent again, its response compared. */
export interface InboundOutcome {
  method: string;
  /** The request URL as recorded (normalised). */
  url: string;
  recordedStatus: number;
  /** 0 when no response came (see `error`). */
  replayedStatus: number;
  /** Same status and body (JSON compared canonically, anything else byte for byte). */
  match: boolean;
  /** Field-level differences of status and body, recorded against replayed. */
  diff: FieldDiff[];
  /** Why the exchange could not be replayed or compared (the app never listened, no response…). */
  error?: string;
}

export interface ReplayReport {
  traceId: string;
  served: ServedStep[];
  unconsumed: UnconsumedStep[];
  blocked: BlockedCall[];
  sideEffectsSuppressed: ServedStep[];
  /** With `--then-live`: the calls the tape did not hold, which went to the network. */
  live?: LiveCall[];
  /** How the replay used the recorded clock, random and ID reads. */
  nondeterminism?: NondeterminismUsage[];
  /** For a trace rooted at an inbound HTTP request: how the server answered it in the replay. */
  inbound?: InboundOutcome;
  /** Raw sockets (another protocol than HTTP) playback refused because their host is not live. */
  blockedConnections?: BlockedConnection[];
  /**
   * The replayed process was ended by the signal that ended its recording, raised by the hook once
   * the app waited on a call the recording never had an answer to (`step`).
   */
  endedAsRecorded?: {
    signal: EndingSignal;
    step: number;
    /**
     * The process it ended, when the command had several and it was not the first (`0`): the
     * command's own exit (a wrapper exiting 1 because its child died) then follows from that end.
     */
    process?: string;
  };
}

/** A connection refused in playback; `port` is absent for a local socket path. */
export interface BlockedConnection {
  host: string;
  port?: number;
  /**
   * `not-http`: it wrote bytes that are no HTTP/1 request; `server-speaks-first`: it read before
   * writing; `http2`: it opened an HTTP/2 connection; `udp`: a datagram (`port` is where it was sent).
   */
  reason: 'not-http' | 'server-speaks-first' | 'http2' | 'udp';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The door's judgement when it gave one (a database knows a SELECT from an INSERT), else HTTP's rule. */
export function isSideEffect(entry: Pick<TapeEntry, 'sideEffect' | 'request'>): boolean {
  return entry.sideEffect ?? !SAFE_METHODS.has(entry.request.normalized.method);
}

export interface TapeMatcherOptions {
  /**
   * Model drifts to serve anyway: a call that differs from an unconsumed recorded one only in its
   * model (`from` recorded, `to` now) and sampling parameters gets that recording. Any other drift
   * is blocked with a {@link ModelDriftError}.
   */
  allowModelDrift?: readonly ModelDriftAllowance[];
}

/**
 * Serves tape entries by input hash plus occurrence: the k-th call hashing to H gets the k-th
 * recorded response for H, so distinct calls may arrive in any order and identical repeats are
 * served in recorded order. It never serves a near match; similarity only explains a divergence.
 */
export class TapeMatcher {
  private readonly queues = new Map<string, TapeEntry[]>();
  private readonly consumed = new Set<number>();
  private readonly served: ServedStep[] = [];
  private readonly blocked: BlockedCall[] = [];
  private readonly live: LiveCall[] = [];
  private calls = 0;
  /** The call number each blocked request hash was given: a retry of it is the same call. */
  private readonly blockedCalls = new Map<string, number>();

  private readonly allowModelDrift: readonly ModelDriftAllowance[];

  constructor(
    private readonly tape: Tape,
    options: TapeMatcherOptions = {},
  ) {
    this.allowModelDrift = options.allowModelDrift ?? [];
    const ordered = [...tape.entries].sort((a, b) => a.step - b.step);
    for (const entry of ordered) {
      const queue = this.queues.get(entry.inputHash) ?? [];
      queue.push(entry);
      this.queues.set(entry.inputHash, queue);
    }
  }

  /** The entry that answers this request, or a {@link ReplayDivergenceError} naming the closest one. */
  take(request: NormalizedRequest, hash: string, call: CallFacts = {}): TapeEntry {
    const queue = this.queues.get(hash);
    const entry = queue?.shift();
    const key = keyOf(call);
    if (entry) return this.serve(entry, request, ++this.calls, { ...(entry.override ? { overridden: true } : {}), ...key });
    const drifted = this.driftedFrom(request);
    if (drifted) return this.takeDrifted(request, hash, drifted.entry, drifted.drift, key);
    const callIndex = this.blockedCallIndex(hash);
    const reason: DivergenceDetails['reason'] = queue ? 'exhausted' : 'not-recorded';
    const closest = this.closestTo(request);
    const diff = closest ? diffRequests(closest.request.normalized, request) : [];
    const details: DivergenceDetails = { callIndex, current: request, inputHash: hash, diff, reason };
    if (this.tape.incomplete && this.consumed.size === this.tape.entries.length) {
      details.tapeEnded = { ...this.tape.incomplete, lastStep: Math.max(0, ...this.tape.entries.map((e) => e.step)) };
    }
    if (closest) {
      details.closestStep = closest.step;
      details.closest = closest.request.normalized;
    }
    const blocked: BlockedCall = { callIndex, method: request.method, url: request.url, reason, diff };
    if (closest) blocked.closestStep = closest.step;
    if (details.tapeEnded) blocked.tapeEnded = details.tapeEnded;
    Object.assign(blocked, key);
    this.blocked.push(blocked);
    return throwDivergence(details);
  }

  /**
   * For `--then-live`: like {@link take}, but a request the tape holds no (remaining) recording for
   * is noted as live and answered with undefined, so the caller lets it through to the network.
   */
  takeOrGoLive(request: NormalizedRequest, hash: string, call: CallFacts = {}): TapeEntry | undefined {
    const next = this.peek(hash);
    if (next && !next.response.unanswered) return this.take(request, hash, call);
    // Its recording never got an answer: where the recording stops, the run continues live.
    if (next) {
      this.queues.get(hash)!.shift();
      this.consumed.add(next.step);
    }
    const live: LiveCall = {
      callIndex: ++this.calls,
      method: request.method,
      url: request.url,
      reason: next ? 'unanswered' : this.queues.has(hash) ? 'exhausted' : 'not-recorded',
      ...keyOf(call),
    };
    const closest = this.closestTo(request);
    if (closest) live.closestStep = closest.step;
    this.live.push(live);
    return undefined;
  }

  /** The step the next call with this input hash would take, left where it is. */
  peek(hash: string): TapeEntry | undefined {
    return this.queues.get(hash)?.[0];
  }

  /**
   * A read sent for real to a live-read host. Its recording, if the tape holds one, is used up
   * (and returned) so the steps recorded after it are not held back waiting for its answer.
   */
  goLive(request: NormalizedRequest, hash: string, call: CallFacts = {}): TapeEntry | undefined {
    const entry = this.queues.get(hash)?.shift();
    if (entry) this.consumed.add(entry.step);
    this.live.push({
      callIndex: ++this.calls,
      method: request.method,
      url: request.url,
      reason: 'live-read',
      ...(entry ? { closestStep: entry.step } : {}),
      ...keyOf(call),
    });
    return entry;
  }

  report(): ReplayReport {
    const unconsumed = this.tape.entries
      .filter((entry) => !this.consumed.has(entry.step))
      .map((entry) => ({ step: entry.step, method: entry.request.normalized.method, url: entry.request.normalized.url }));
    return {
      traceId: this.tape.traceId,
      served: [...this.served],
      unconsumed,
      blocked: [...this.blocked],
      sideEffectsSuppressed: this.served.filter((step) => step.sideEffect),
      ...(this.live.length > 0 ? { live: [...this.live] } : {}),
    };
  }

  /**
   * The number of a call about to be blocked. A client that retries a failed call (the openai SDK
   * does, twice by default) sends the same request again: that is the same call of the app, not
   * the next one, so it keeps its number. Otherwise the error the app sees (from its last attempt)
   * and the report (which tells the first) would name different calls, and every later call would
   * be numbered past the recording, where the first attempt was answered.
   */
  private blockedCallIndex(hash: string): number {
    const earlier = this.blockedCalls.get(hash);
    if (earlier !== undefined) return earlier;
    const callIndex = ++this.calls;
    this.blockedCalls.set(hash, callIndex);
    return callIndex;
  }

  private serve(entry: TapeEntry, request: NormalizedRequest, callIndex: number, note: Pick<ServedStep, 'overridden' | 'modelDrift' | 'idempotencyKey'>): TapeEntry {
    this.consumed.add(entry.step);
    this.served.push({
      step: entry.step,
      callIndex,
      method: request.method,
      url: request.url,
      status: entry.response.status,
      sideEffect: isSideEffect(entry),
      ...(entry.response.unanswered ? { unanswered: true as const } : {}),
      ...note,
    });
    return entry;
  }

  /** The first unconsumed recorded call that this one differs from only in model and sampling parameters. */
  private driftedFrom(request: NormalizedRequest): { entry: TapeEntry; drift: ModelDrift } | undefined {
    const unconsumed = this.tape.entries.filter((entry) => !this.consumed.has(entry.step)).sort((a, b) => a.step - b.step);
    for (const entry of unconsumed) {
      const drift = modelDriftBetween(entry.request.normalized, request);
      if (drift) return { entry, drift };
    }
    return undefined;
  }

  /** Serves a drifted call if the user allowed that drift, else blocks it with a {@link ModelDriftError}. */
  private takeDrifted(request: NormalizedRequest, hash: string, entry: TapeEntry, drift: ModelDrift, key: CallFacts): TapeEntry {
    if (isModelDriftAllowed(drift, this.allowModelDrift)) {
      const queue = this.queues.get(entry.inputHash);
      queue?.splice(queue.indexOf(entry), 1);
      return this.serve(entry, request, ++this.calls, { modelDrift: drift, ...key });
    }
    const callIndex = this.blockedCallIndex(hash);
    const diff = diffRequests(entry.request.normalized, request);
    this.blocked.push({ callIndex, method: request.method, url: request.url, reason: 'model-drift', closestStep: entry.step, diff, modelDrift: drift, ...key });
    const details: ModelDriftDetails = {
      callIndex,
      current: request,
      inputHash: hash,
      step: entry.step,
      recorded: entry.request.normalized,
      ...drift,
      diff,
    };
    throw new ModelDriftError(details, renderModelDrift(details));
  }

  /** Prefers unconsumed entries with the same method and path, then the fewest differing fields. */
  private closestTo(request: NormalizedRequest): TapeEntry | undefined {
    let best: { entry: TapeEntry; score: number } | undefined;
    for (const entry of this.tape.entries) {
      const recorded = entry.request.normalized;
      let score = diffRequests(recorded, request).length;
      if (recorded.method !== request.method) score += 1000;
      if (pathOf(recorded.url) !== pathOf(request.url)) score += 500;
      if (this.consumed.has(entry.step)) score += 100;
      if (!best || score < best.score) best = { entry, score };
    }
    return best?.entry;
  }
}

/** The call's idempotency key as a report field, or nothing: reports of calls without one keep their shape. */
function keyOf(call: CallFacts): { idempotencyKey?: string } {
  return call.idempotencyKey !== undefined ? { idempotencyKey: call.idempotencyKey } : {};
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return originOf(parsed) + parsed.pathname;
  } catch {
    return url;
  }
}

function throwDivergence(details: DivergenceDetails): never {
  throw new ReplayDivergenceError(details, renderDivergence(details));
}

export function renderDivergence(details: DivergenceDetails): string {
  const { current } = details;
  const what =
    details.reason === 'exhausted'
      ? `was made more often than in the recording (all recorded responses for it were already served)`
      : `is not on the tape`;
  if (details.tapeEnded) {
    const lost = details.tapeEnded.lostSpans ? `, ${details.tapeEnded.lostSpans} span(s) lost` : '';
    return [
      `the tape ended at call #${details.callIndex}: ${current.method} ${current.url} comes after step ${details.tapeEnded.lastStep}, the last one stored.`,
      `The recording of this run is incomplete (${details.tapeEnded.reason}${lost}): the replay ran as recorded up to there.`,
      'Nothing was sent to the network. Record the run again with `tracetape record` to replay it whole.',
    ].join('\n');
  }
  const lines = [`replay diverged at call #${details.callIndex}: ${current.method} ${current.url} ${what}.`];
  if (details.closest && details.closestStep !== undefined) {
    lines.push(`closest recorded request: step ${details.closestStep}, ${details.closest.method} ${details.closest.url}`);
    if (details.diff.length > 0) lines.push(renderDiffTable(details.diff));
    else lines.push('  (identical to the recorded request, which was already served)');
  } else {
    lines.push('the tape holds no recorded requests.');
  }
  lines.push('Nothing was sent to the network. If the change is intended, record a new run with `tracetape record`.');
  return lines.join('\n');
}

export function renderModelDrift(details: ModelDriftDetails): string {
  const { current, recordedModel, currentModel } = details;
  const change =
    recordedModel === currentModel
      ? `asks model "${currentModel}" with other sampling parameters than step ${details.step} was recorded with`
      : `asks model "${currentModel}", but step ${details.step} was recorded with model "${recordedModel}"`;
  const allowance = allowanceText(details);
  return [
    `replay stopped at call #${details.callIndex}: ${current.method} ${current.url} ${change}; nothing else differs (model drift).`,
    renderDiffTable(details.diff),
    `Nothing was sent to the network. To serve the recorded answer anyway, replay with \`--allow-model-drift ${allowance}\` ` +
      `(or TRACETAPE_ALLOW_MODEL_DRIFT=${allowance}); to see what "${currentModel}" answers, record a new run with \`tracetape record\`.`,
  ].join('\n');
}
