import { requestKey, TracetapeError, type Redactor, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { recordedOutcome, redisKeyRules, type RecordedOutcome, type RedisCall } from './redis-call.js';

/** What to do about a subscription or MONITOR in a replayed run. */
export const STREAMING_ADVICE = 'A replay answers commands, not what the server pushes afterwards: keep the subscriber out of the replayed run.';

/** A Redis feature a replay cannot answer from a tape: the command was not sent, and the app hears why. */
export class RedisPlaybackUnsupportedError extends TracetapeError {
  constructor(what: string, instead: string) {
    super(
      'TRACETAPE_PLAYBACK_UNSUPPORTED',
      `tracetape cannot replay ${what}: nothing was sent to Redis. ${instead}`,
    );
    this.name = 'RedisPlaybackUnsupportedError';
  }
}

/**
 * The tape's side of a replayed Redis command, for both clients: the command is keyed as capture
 * keyed it and its recorded entry taken at once, in the order the app makes its calls; its answer
 * waits for the calls that finished before it in the recording (CompletionOrder), so concurrent
 * commands settle in the recorded order.
 */
export class RedisAnswers {
  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly options: PlaybackOptions,
  ) {}

  /** The recorded entry for the command; throws the divergence (reported first) when the tape has none. */
  take(call: RedisCall, target: string): TapeEntry {
    const key = requestKey(call, this.redactor, redisKeyRules(target));
    const taken = takeStep(this.matcher, this.options, key);
    if ('error' in taken) throw taken.error;
    return taken.entry;
  }

  /** The entry's recorded outcome, once the calls that finished before it in the recording have theirs. */
  async outcome(entry: TapeEntry): Promise<RecordedOutcome> {
    await answerInTurn(this.order, entry);
    return recordedOutcome(entry.response);
  }
}

/** An error as the error class would raise it, with a name the app may branch on when there is no class. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  if (name !== 'Error') error.name = name;
  return error;
}
