import { ReplayDivergenceError, requestKey, type Redactor, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { dnsKeyRules, outcomeOf } from './dns-call.js';
import { patchDns } from './dns-surfaces.js';

/**
 * The DNS door's playback: every question the app asks is answered from the tape, as the answer
 * or the error it got then; a question the tape does not hold fails with the divergence, and no
 * resolver is asked (unless `--then-live`). Returns the undo.
 */
export function attachDnsPlayback(matcher: TapeMatcher, order: CompletionOrder, redactor: Redactor, options: PlaybackOptions): () => void {
  // --then-live: what the tape cannot answer is asked for real, and is no divergence.
  const served = options.thenLive ? { ...options, onDivergence: undefined } : options;
  return patchDns(async (call, ask) => {
    const key = requestKey(call, redactor, dnsKeyRules());
    const taken = takeStep(matcher, served, key);
    if ('error' in taken) {
      if (options.thenLive && taken.error instanceof ReplayDivergenceError) return ask();
      throw taken.error;
    }
    await answerInTurn(order, taken.entry);
    const outcome = outcomeOf(taken.entry.response);
    if ('error' in outcome) throw outcome.error;
    return outcome.answer;
  });
}
