import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Redactor, TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import type { PlaybackOptions } from '../types.js';
import { IORedisPlayback } from './ioredis-playback.js';
import { NodeRedisPlayback } from './node-redis-playback.js';
import { RedisAnswers } from './redis-answers.js';
import { RedisPlaybackInstrumentation } from './redis-playback-instrumentation.js';

/** The Redis door's playback: ioredis and node-redis clients answered from the tape, with no socket. */
export function redisPlaybackInstrumentation(matcher: TapeMatcher, order: CompletionOrder, redactor: Redactor, options: PlaybackOptions): Instrumentation {
  const answers = new RedisAnswers(matcher, order, redactor, options);
  return new RedisPlaybackInstrumentation(new IORedisPlayback(answers), new NodeRedisPlayback(answers));
}
