/**
 * The variables that carry a run into a process it starts. The trace context travels as the
 * OpenTelemetry specification's environment-variable carrier has it (the W3C header names,
 * upper-cased), so any OpenTelemetry-aware program the app starts continues the trace too.
 */
export const TRACEPARENT_VARIABLE = 'TRACEPARENT';
export const TRACESTATE_VARIABLE = 'TRACESTATE';
export const BAGGAGE_VARIABLE = 'BAGGAGE';
/** Which process of the run this is: `0`, `0.1`, `0.w1`… (see ATTR_TRACETAPE_PROCESS_PATH). */
export const PROCESS_PATH_VARIABLE = 'TRACETAPE_PROCESS_PATH';

/** What a parent hands to one child process or worker, besides the configuration it inherits. */
export interface RunVariables {
  [TRACEPARENT_VARIABLE]?: string;
  [TRACESTATE_VARIABLE]?: string;
  [BAGGAGE_VARIABLE]?: string;
  [PROCESS_PATH_VARIABLE]: string;
}

/** Every variable a run hands down, so a stale one inherited from further up can be dropped. */
export const RUN_VARIABLES = [TRACEPARENT_VARIABLE, TRACESTATE_VARIABLE, BAGGAGE_VARIABLE, PROCESS_PATH_VARIABLE] as const;

/**
 * Key of the worker_threads environment data that carries {@link RunVariables} to a Worker: a
 * Worker shares its parent's process.env or copies it, and with SHARE_ENV nothing could be added
 * to it without the parent seeing it too.
 */
export const WORKER_RUN_KEY = 'tracetape.run';
