import type { ContextManager } from '@opentelemetry/api';
import { apiGlobal } from './api-globals.js';

/**
 * Why nothing of this process can be recorded or replayed when an OpenTelemetry SDK started
 * before the hook, and what to do. The SDK then holds the global context manager and tracer
 * provider, the API refuses the hook's, and tracetape's instrumentations' spans go to the app's
 * SDK: no call would reach the recording. A flag order cannot fix a `--require` preload (the
 * zero-code `--require @opentelemetry/auto-instrumentations-node/register`): Node runs every
 * `--require` before any `--import`. The same SDK loaded with `--import` after the hook's works.
 */
export const SDK_STARTED_FIRST =
  "an OpenTelemetry SDK started before tracetape's hook and holds the global tracer provider, so no call reaches the recording: " +
  'start the SDK after the hook, with --import placed after --import @tracetape/register (`tracetape record` and `tracetape replay` put the hook first in NODE_OPTIONS); ' +
  'a --require preload runs before every --import, so load --require @opentelemetry/auto-instrumentations-node/register as --import @opentelemetry/auto-instrumentations-node/register instead';

/** Whether another SDK registered the global context manager before the hook's own could. */
export function sdkStartedFirst(hookContextManager: ContextManager): boolean {
  const registered = apiGlobal('context');
  return registered !== undefined && registered !== hookContextManager;
}
