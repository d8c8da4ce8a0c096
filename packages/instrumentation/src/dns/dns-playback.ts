import { ModelDriftError, ReplayDivergenceError, requestKey, type Redactor, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { pauseBeforeStep } from '../playback/step-breakpoint.js';
import type { PlaybackOptions } from '../types.js';
import { dnsKeyRules, outcomeOf } from './dns-call.js';
import { patchDns } from './dns-surfaces.js';

/**
 * The DNS door's playback: every question the app asks is answered from the tape, as the answer
 * or the error it got then; a question the tape does not hold fails with the divergence, and no
 * resolver is asked (unless `--then-live`). Returns the undo.
 */
export function attachDnsPlayback(matcher: TapeMatcher, order: CompletionOrder, redactor: Redactor, options: PlaybackOptions): () => void {
  return patchDns(async (call, ask) => {
    const key = requestKey(call, redactor, dnsKeyRules());
    let entry;
    try {
      entry = matcher.take(key.normalized, key.hash);
    } catch (error) {
      // --then-live: what the tape cannot answer is asked for real.
      if (options.thenLive && error instanceof ReplayDivergenceError) return ask();
      if (error instanceof ReplayDivergenceError || error instanceof ModelDriftError) options.onDivergence?.(error);
      throw error;
    }
    options.onServed?.(entry, undefined);
    if (entry.step === options.breakAtStep) pauseBeforeStep(entry, key.normalized);
    await order.turn(entry.step);
    order.markAnswered(entry.step);
    const outcome = outcomeOf(entry.response);
    if ('error' in outcome) throw outcome.error;
    return outcome.answer;
  });
}
