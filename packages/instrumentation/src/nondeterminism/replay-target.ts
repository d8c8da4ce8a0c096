import { context, SpanKind, trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_RUN, type Tape } from '@tracetape/core';

/**
 * Decides which trace of the replaying process is the replayed run, so that only its reads are
 * answered from the tape: the process run itself, or the first run() / inbound request whose root
 * span matches the recorded one. Reads elsewhere (start-up code, other requests) stay real.
 */
export class ReplayTarget implements SpanProcessor {
  private traceId: string | undefined;

  constructor(private readonly tape: Pick<Tape, 'rootKind' | 'rootName'>) {}

  /** The process run's trace: the target when the tape recorded a whole process run. */
  setProcessRun(traceId: string): void {
    if ((this.tape.rootKind ?? 'process') === 'process') this.traceId = traceId;
  }

  isActive(): boolean {
    const current = trace.getSpan(context.active())?.spanContext().traceId;
    return current !== undefined && current === this.traceId;
  }

  onStart(span: Span, _parentContext: Context): void {
    // A root here: no parent, or one from another service (the recorded request's traceparent).
    if (this.traceId || (span.parentSpanContext && !span.parentSpanContext.isRemote) || span.name !== this.tape.rootName) return;
    const kind = this.tape.rootKind;
    if ((kind === 'run' && span.attributes[ATTR_TRACETAPE_RUN] === 'run') || (kind === 'server' && span.kind === SpanKind.SERVER)) {
      this.traceId = span.spanContext().traceId;
    }
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
