import { ModelDriftError, ReplayDivergenceError, type NormalizedRequest, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { PlaybackOptions } from '../types.js';
import type { CompletionOrder } from './completion-order.js';
import { pauseBeforeStep } from './step-breakpoint.js';

/**
 * A door's call taken from the tape, the same way for every door: the matched step (reported
 * served, paused at under `--break-at`), or the divergence (reported, so the replay fails) for the
 * door to hand the app in its own form. `spanId` is the call's client span, when the door has one,
 * passed on to `onServed`.
 */
export function takeStep(
  matcher: TapeMatcher,
  options: PlaybackOptions,
  key: { normalized: NormalizedRequest; hash: string },
  spanId?: string,
): { entry: TapeEntry } | { error: Error } {
  let entry: TapeEntry;
  try {
    entry = matcher.take(key.normalized, key.hash);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (failure instanceof ReplayDivergenceError || failure instanceof ModelDriftError) options.onDivergence?.(failure);
    return { error: failure };
  }
  options.onServed?.(entry, spanId);
  if (entry.step === options.breakAtStep) pauseBeforeStep(entry, key.normalized);
  return { entry };
}

/**
 * Waits until the step's answer is due in the recorded completion order, and marks it given. A
 * step whose recording had no answer when its process ended never resolves (see
 * CompletionOrder.neverAnswer): the door answers nothing, as nothing answered it.
 */
export async function answerInTurn(order: CompletionOrder, entry: TapeEntry): Promise<void> {
  if (entry.response.unanswered) return order.neverAnswer(entry);
  await order.turn(entry.step);
  order.markAnswered(entry.step);
}
