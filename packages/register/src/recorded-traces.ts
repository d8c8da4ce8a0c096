import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INBOUND_REQUEST, ATTR_TRACETAPE_INPUT_HASH } from '@tracetape/core';

export interface RecordedTrace {
  traceId: string;
  /** Outbound calls recorded in this trace. */
  calls: number;
}

/**
 * How many traces one process lists for `tracetape record`. A server recorded for hours starts a
 * trace per request it serves: past this, its calls are only counted, so the list costs at most
 * about a megabyte however long the process runs.
 */
export const MAX_LISTED_TRACES = 10_000;

/**
 * Notes which traces received recorded calls, so `tracetape record` can print their IDs. Passes spans on.
 * Keeps nothing when `maxListed` is 0, as when no run file is wanted: a service recorded with the
 * hook alone serves a new trace per request, and remembering each would grow for as long as it runs.
 */
export class RecordedTraces implements SpanProcessor {
  private readonly traces = new Map<string, number>();
  private unlisted = 0;

  constructor(
    private readonly next: SpanProcessor,
    private readonly maxListed: number = MAX_LISTED_TRACES,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if (span.attributes[ATTR_TRACETAPE_INPUT_HASH] !== undefined) this.note(span.spanContext().traceId, 1);
    // A server trace replays on its inbound request, even when the handler made no calls.
    else if (span.attributes[ATTR_TRACETAPE_INBOUND_REQUEST] !== undefined) this.note(span.spanContext().traceId, 0);
    this.next.onEnd(span);
  }

  list(): RecordedTrace[] {
    return [...this.traces].map(([traceId, calls]) => ({ traceId, calls }));
  }

  /** Whether the trace is in list(). */
  isListed(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** Calls recorded in traces past the listed ones: in the log and the store, not in list(). */
  get unlistedCalls(): number {
    return this.unlisted;
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }

  private note(traceId: string, calls: number): void {
    const known = this.traces.get(traceId);
    if (known !== undefined) this.traces.set(traceId, known + calls);
    else if (this.traces.size < this.maxListed) this.traces.set(traceId, calls);
    else this.unlisted += calls;
  }
}
