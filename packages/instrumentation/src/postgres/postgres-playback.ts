import { requestKey, type Redactor, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { deliver, outcomeOf, postgresKeyRules, readQueryArgs, targetOf } from './postgres-call.js';
import type { PgCallback, PgClientLike, PgModule } from './pg-types.js';

/** A query the door cannot answer from a tape (a cursor or a query stream). */
export class PostgresPlaybackUnsupportedError extends Error {
  readonly code = 'TRACETAPE_PLAYBACK_UNSUPPORTED';
  constructor(what: string) {
    super(`tracetape cannot replay ${what} yet: the query was not sent. Read the rows with client.query(text, values) in the code you record and replay.`);
    this.name = 'PostgresPlaybackUnsupportedError';
  }
}

/**
 * Playback for `pg`: a client connects, queries and ends without a socket. Each query is keyed as
 * capture keyed it and answered from the tape, in the recorded completion order, as the result or
 * the DatabaseError the app got then; a query the tape does not hold fails with the divergence.
 */
export class PostgresPlayback {
  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly options: PlaybackOptions,
  ) {}

  /** `connect(callback?)`: succeeds at once, as if the server had accepted. */
  connect(): (this: PgClientLike, callback?: (error: Error | null) => void) => Promise<void> | undefined {
    return function connect(this: PgClientLike, callback?: (error: Error | null) => void) {
      // pg-pool and apps listen for 'connect'; a later turn, as a real connection would take.
      setImmediate(() => this.emit?.('connect'));
      if (typeof callback === 'function') {
        setImmediate(() => callback(null));
        return undefined;
      }
      return Promise.resolve();
    };
  }

  /** `end(callback?)`: nothing to close. */
  end(): (this: PgClientLike, callback?: (error?: Error | null) => void) => Promise<void> | undefined {
    return function end(this: PgClientLike, callback?: (error?: Error | null) => void) {
      setImmediate(() => this.emit?.('end'));
      if (typeof callback === 'function') {
        setImmediate(() => callback(null));
        return undefined;
      }
      return Promise.resolve();
    };
  }

  /** `query(…)`: the recorded answer, or the divergence as the query's error. */
  query(pg: PgModule): (this: PgClientLike, ...args: unknown[]) => unknown {
    const playback = this;
    return function query(this: PgClientLike, ...args: unknown[]): unknown {
      const read = readQueryArgs(args);
      const callback = read?.callbackIndex !== undefined ? (args[read.callbackIndex] as PgCallback) : read?.configCallback ? (args[0] as { callback: PgCallback }).callback : undefined;
      if (!read) return deliver({ error: new PostgresPlaybackUnsupportedError('a pg Submittable (a cursor or a query stream)') }, lastCallback(args));
      const key = requestKey(read.call, playback.redactor, postgresKeyRules(targetOf(this)));
      const taken = takeStep(playback.matcher, playback.options, key);
      if ('error' in taken) return deliver({ error: taken.error }, callback);
      const { entry } = taken;
      const outcome = (async () => {
        await answerInTurn(playback.order, entry);
        return outcomeOf(entry.response, pg);
      })();
      if (callback) {
        void outcome.then((result) => deliver(result, callback));
        return undefined;
      }
      return outcome.then((result) => deliver(result, undefined));
    };
  }
}

function lastCallback(args: readonly unknown[]): PgCallback | undefined {
  const last = args.at(-1);
  return typeof last === 'function' ? (last as PgCallback) : undefined;
}
