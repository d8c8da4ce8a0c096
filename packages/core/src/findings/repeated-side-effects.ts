import { isoToMs } from '../iso-time.js';
import { isSideEffect } from '../matcher.js';
import type { BoundaryKind, RecordedResponse, Tape, TapeEntry } from '../tape.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { repeatKey } from './repeat-key.js';

/** A side effect a run made again: the refund paid twice, the email sent twice. */
export interface RepeatedSideEffect {
  /** The earlier call's step. */
  first: number;
  /** The step that did it again. */
  repeat: number;
  kind: BoundaryKind;
  method: string;
  url: string;
  /** From the start of the first call to the start of the repeat. */
  gapMs: number;
  /**
   * `repeated`: nothing told the other side the two were one (no key, or different keys).
   * `safely-retried`: both carried the same `Idempotency-Key`, so a server that honours it did it once.
   */
  verdict: 'repeated' | 'safely-retried';
  /**
   * What became of the first call when it had failed in the app's eyes (`timed out`, `status 503`):
   * the classic double-do, where the call had in fact succeeded server-side and the retry did it again.
   */
  firstFailure?: string;
  /** `strong` when the first call failed, so the repeat was a retry; `weak` when both succeeded. */
  strength: 'strong' | 'weak';
  /** The key both calls carried, when they carried the same one. */
  idempotencyKey?: string;
  /** The two requests differ only in fields set aside as volatile (keys, timestamps, request IDs). */
  differsOnlyInVolatileFields: boolean;
}

/**
 * Kinds whose repeats are not findings: a WebSocket send repeats by design (pings, heartbeats), and
 * a DNS answer changes nothing.
 */
const NOT_COUNTED = new Set<BoundaryKind>(['websocket', 'dns']);

/**
 * Every side effect of the run that repeats an earlier one of the same run, paired with the call it
 * repeats (the latest before it). Model calls are not side effects here: asking a model twice changes nothing.
 */
export function findRepeatedSideEffects(tape: Pick<Tape, 'entries'>): RepeatedSideEffect[] {
  const latestByKey = new Map<string, TapeEntry>();
  const found: RepeatedSideEffect[] = [];
  for (const entry of [...tape.entries].sort((a, b) => a.step - b.step)) {
    if (entry.llm || NOT_COUNTED.has(entry.kind) || !isSideEffect(entry)) continue;
    const key = repeatKey(entry.request.normalized);
    const earlier = latestByKey.get(key);
    latestByKey.set(key, entry);
    if (earlier) found.push(pairOf(earlier, entry));
  }
  return found;
}

/** Whether the run did something twice that nothing made safe: what flags it. */
export function hasRepeatedSideEffect(findings: readonly RepeatedSideEffect[]): boolean {
  return findings.some((finding) => finding.verdict === 'repeated');
}

function pairOf(first: TapeEntry, repeat: TapeEntry): RepeatedSideEffect {
  const firstKey = idempotencyKeyOf(first.request.headers);
  const repeatKeyValue = idempotencyKeyOf(repeat.request.headers);
  const sameKey = firstKey !== undefined && firstKey === repeatKeyValue;
  const firstFailure = failureOf(first.response);
  const pair: RepeatedSideEffect = {
    first: first.step,
    repeat: repeat.step,
    kind: repeat.kind,
    method: repeat.request.normalized.method,
    url: repeat.request.normalized.url,
    gapMs: Math.max(0, isoToMs(repeat.startTime) - isoToMs(first.startTime)),
    verdict: sameKey ? 'safely-retried' : 'repeated',
    strength: firstFailure !== undefined ? 'strong' : 'weak',
    differsOnlyInVolatileFields: first.inputHash !== repeat.inputHash,
  };
  if (firstFailure !== undefined) pair.firstFailure = firstFailure;
  if (sameKey) pair.idempotencyKey = firstKey;
  return pair;
}

/** How a call failed as the app saw it, or undefined when it got a good answer. */
function failureOf(response: RecordedResponse): string | undefined {
  if (response.error !== undefined) return /abort|timeout|timed out/i.test(response.error) ? `timed out: ${response.error}` : response.error;
  if (response.status >= 500) return `status ${response.status}`;
  if (!response.complete) return 'the answer was cut off';
  return undefined;
}
