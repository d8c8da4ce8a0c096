import { isValidTraceId, trace, TraceFlags, type Context } from '@opentelemetry/api';

/**
 * Why this process's run is not recorded although the hook records, and what to do, in words for
 * `tracetape record`: the SDK turned off (OTEL_SDK_DISABLED), a ratio or always-off sampler from
 * OTEL_TRACES_SAMPLER, or a parent trace (TRACEPARENT, or the parent process's run) that was itself
 * not sampled, which the default parent-based sampler follows.
 */
export function whyRunNotRecorded(parentContext: Context | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    return 'OTEL_SDK_DISABLED=true turns the OpenTelemetry SDK off, and the recording with it: unset it to record';
  }
  const always = 'run it with OTEL_TRACES_SAMPLER=always_on to record it whatever was sampled';
  const parent = parentContext ? trace.getSpanContext(parentContext) : undefined;
  if (parent && isValidTraceId(parent.traceId) && (parent.traceFlags & TraceFlags.SAMPLED) === 0) {
    return `the run joined trace ${parent.traceId} from its parent (TRACEPARENT), which was not sampled: ${always}`;
  }
  const sampler = env.OTEL_TRACES_SAMPLER;
  const argument = env.OTEL_TRACES_SAMPLER_ARG ? ` with OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG}` : '';
  return `${sampler ? `the sampler OTEL_TRACES_SAMPLER=${sampler}${argument}` : 'the OpenTelemetry sampler'} left the run out: ${always}`;
}
