import { diffRequests, renderDiffTable, type FieldDiff } from './diff.js';
import { ReplayDivergenceError, type DivergenceDetails } from './errors.js';
import type { NormalizedRequest, Tape, TapeEntry } from './tape.js';

export interface ServedStep {
  step: number;
  callIndex: number;
  method: string;
  url: string;
  status: number;
  /** A non-GET/HEAD/OPTIONS call: answered from the tape, so its side effect did not happen again. */
  sideEffect: boolean;
}

export interface BlockedCall {
  callIndex: number;
  method: string;
  url: string;
  reason: DivergenceDetails['reason'];
  closestStep?: number;
  diff: FieldDiff[];
}

export interface UnconsumedStep {
  step: number;
  method: string;
  url: string;
}

export interface ReplayReport {
  traceId: string;
  served: ServedStep[];
  unconsumed: UnconsumedStep[];
  blocked: BlockedCall[];
  sideEffectsSuppressed: ServedStep[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
  private calls = 0;

  constructor(private readonly tape: Tape) {
    const ordered = [...tape.entries].sort((a, b) => a.step - b.step);
    for (const entry of ordered) {
      const queue = this.queues.get(entry.inputHash) ?? [];
      queue.push(entry);
      this.queues.set(entry.inputHash, queue);
    }
  }

  /** The entry that answers this request, or a {@link ReplayDivergenceError} naming the closest one. */
  take(request: NormalizedRequest, hash: string): TapeEntry {
    const callIndex = ++this.calls;
    const queue = this.queues.get(hash);
    const entry = queue?.shift();
    if (entry) {
      this.consumed.add(entry.step);
      this.served.push({
        step: entry.step,
        callIndex,
        method: request.method,
        url: request.url,
        status: entry.response.status,
        sideEffect: !SAFE_METHODS.has(request.method),
      });
      return entry;
    }
    const reason: DivergenceDetails['reason'] = queue ? 'exhausted' : 'not-recorded';
    const closest = this.closestTo(request);
    const diff = closest ? diffRequests(closest.request.normalized, request) : [];
    const details: DivergenceDetails = { callIndex, current: request, inputHash: hash, diff, reason };
    if (closest) {
      details.closestStep = closest.step;
      details.closest = closest.request.normalized;
    }
    const blocked: BlockedCall = { callIndex, method: request.method, url: request.url, reason, diff };
    if (closest) blocked.closestStep = closest.step;
    this.blocked.push(blocked);
    return throwDivergence(details);
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
    };
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

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin + parsed.pathname;
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
