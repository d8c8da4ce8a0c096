import type { Instrumentation } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import type { Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import { IORedisCapture } from './ioredis-capture.js';
import { NodeRedisCapture } from './node-redis-capture.js';
import { RedisCaptureInstrumentation } from './redis-capture-instrumentation.js';

/**
 * The Redis door's capture: the official instrumentations of ioredis and node-redis make the
 * spans (database semantic conventions), tracetape records each command on its span.
 */
export function redisCaptureInstrumentations(registry: CaptureRegistry, redactor: Redactor): Instrumentation[] {
  const ioredis = new IORedisCapture(registry, redactor);
  const nodeRedis = new NodeRedisCapture(registry, redactor);
  return [
    // A command made outside any span (a timer the app set before its run began) is a call all the same.
    new IORedisInstrumentation({ requireParentSpan: false, requestHook: ioredis.requestHook, responseHook: ioredis.responseHook }),
    new RedisInstrumentation({ requireParentSpan: false }),
    new RedisCaptureInstrumentation(ioredis, nodeRedis),
  ];
}
