import type { TracerProvider } from '@opentelemetry/api';
import { callAsLibrary } from './caller-filter.js';

const MARKED = Symbol.for('tracetape.nondeterminism.spanStartIsLibrary');

type StartSpan = (...args: never[]) => unknown;

/**
 * The SDK reads the clock each time it starts a span. Those reads were told from the app's by
 * their call stack, and capturing even one frame cost about 14 µs there (V8 rebuilds the inlined
 * frames of the optimised caller), against 2.4 µs in a shallow loop: 4 spans a request in the
 * bench's service made it 0.06 ms of CPU per request. startSpan never runs the app's code (a
 * startActiveSpan callback runs after it returns), so the provider's tracer starts spans as a
 * library call and their reads skip the look.
 */
export function startSpansAsLibrary(provider: TracerProvider): void {
  const tracer = provider.getTracer('tracetape-span-start-reads');
  const prototype = Object.getPrototypeOf(tracer) as { startSpan?: StartSpan; [MARKED]?: true } | null;
  if (!prototype || prototype[MARKED] || typeof prototype.startSpan !== 'function') return;
  const startSpan = prototype.startSpan;
  prototype.startSpan = function startSpanAsLibrary(this: unknown, ...args: never[]): unknown {
    return callAsLibrary(startSpan, this, args);
  };
  prototype[MARKED] = true;
}
