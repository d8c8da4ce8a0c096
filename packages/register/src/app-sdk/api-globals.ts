/** Where every copy of the OpenTelemetry API 1.x keeps its globals: the one place they meet. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/** What is registered as the API's global `name` (tracer provider, context manager, propagator), by any copy of the API. */
export function apiGlobal(name: 'trace' | 'context' | 'propagation'): unknown {
  return (globalThis as { [API_GLOBALS]?: Record<string, unknown> })[API_GLOBALS]?.[name];
}
