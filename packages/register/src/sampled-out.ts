import { trace, TraceFlags, type Context } from '@opentelemetry/api';

/**
 * Why the sampler left this process's run out, in words for `tracetape record`: a ratio or
 * always-off sampler from OTEL_TRACES_SAMPLER, or a parent trace (TRACEPARENT, or the parent
 * process's run) that was itself not sampled, which the default parent-based sampler follows.
 */
export function sampledOutReason(parentContext: Context | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const parent = parentContext ? trace.getSpanContext(parentContext) : undefined;
  if (parent && (parent.traceFlags & TraceFlags.SAMPLED) === 0) {
    return `the run joined trace ${parent.traceId} from its parent (TRACEPARENT), which was not sampled`;
  }
  const sampler = env.OTEL_TRACES_SAMPLER;
  const argument = env.OTEL_TRACES_SAMPLER_ARG ? ` with OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG}` : '';
  return sampler ? `the sampler OTEL_TRACES_SAMPLER=${sampler}${argument} left the run out` : 'the OpenTelemetry sampler left the run out';
}
