import type { ContextManager } from '@opentelemetry/api';
import { apiGlobal } from './api-globals.js';

/**
 * Why nothing of this process can be recorded or replayed when an OpenTelemetry SDK that started
 * before the hook keeps the API's globals (the hook takes them over when it can, see
 * started-sdk.ts), and what to do. The SDK then holds the global context manager and tracer
 * provider, the API refuses the hook's, and tracetape's instrumentations' spans would go to the
 * app's SDK: no call would reach the recording.
 */
export function sdkStartedFirstMessage(reason: string): string {
  return (
    `an OpenTelemetry SDK started before tracetape's hook and keeps the global tracer provider (${reason}), so no call reaches the recording: ` +
    'start the SDK after the hook, with --import placed after --import @tracetape/register ' +
    '(`tracetape record` and `tracetape replay` put the hook first in NODE_OPTIONS), or bring the app\'s @opentelemetry/api to the version the hook uses'
  );
}

/** Whether another SDK holds the global context manager after the hook registered its own. */
export function sdkStartedFirst(hookContextManager: ContextManager): boolean {
  const registered = apiGlobal('context');
  return registered !== undefined && registered !== hookContextManager;
}
