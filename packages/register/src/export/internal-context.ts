import { context, createContextKey, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * A context with no span in it, for tracetape's own background work (shipping the log). The run
 * context manager falls back to the process run for the root context, which would make the
 * shipper's clock reads and requests look like the app's; a context of its own has no run.
 */
const INTERNAL: Context = ROOT_CONTEXT.setValue(createContextKey('tracetape.internal'), true);

export function outsideRuns<T>(work: () => T): T {
  return context.with(INTERNAL, work);
}
