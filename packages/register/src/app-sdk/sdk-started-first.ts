import type { ContextManager } from '@opentelemetry/api';

/** Where every copy of the OpenTelemetry API 1.x keeps its globals: the one place they meet. */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * Why nothing of this process can be recorded or replayed when an OpenTelemetry SDK started
 * before the hook, and what to do: the zero-code setup
 * (`NODE_OPTIONS=--require @opentelemetry/auto-instrumentations-node/register`) runs before the
 * command line's `--import @tracetape/register`. The SDK then holds the global context manager
 * and tracer provider, the API refuses the hook's, and tracetape's instrumentations' spans go to
 * the app's SDK: no call would reach the recording.
 */
export const SDK_STARTED_FIRST =
  "an OpenTelemetry SDK started before tracetape's hook and holds the global tracer provider, so no call reaches the recording: " +
  'load the hook first (put --import @tracetape/register before the SDK\'s --require or --import, in NODE_OPTIONS too; `tracetape record` and `tracetape replay` put it first themselves)';

/** Whether another SDK registered the global context manager before the hook's own could. */
export function sdkStartedFirst(hookContextManager: ContextManager): boolean {
  const registered = (globalThis as { [API_GLOBALS]?: { context?: unknown } })[API_GLOBALS]?.context;
  return registered !== undefined && registered !== hookContextManager;
}
