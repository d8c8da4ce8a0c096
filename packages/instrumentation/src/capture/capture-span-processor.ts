import { SpanStatusCode, type Context, type HrTime } from '@opentelemetry/api';
import { addHrTimes, hrTime } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Redactor, UnansweredCall } from '@tracetape/core';
import type { CaptureRegistry } from './capture-registry.js';
import type { PendingCapture } from './pending-capture.js';
import { endUnansweredSpan } from './end-unanswered-span.js';
import { redactSpan } from './span-redaction.js';
import { spanWithChanges } from '../span-with-attributes.js';

export interface CaptureSpanProcessorOptions {
  /**
   * How long an ended span may wait for its copy of the response body to finish (default 2 s).
   * The client span ends when the client is done with the body, so the copy lags by little, unless
   * the client stopped reading early (an SDK that drops the stream after its last event): then the
   * end never comes, and the span goes out with what arrived, marked not complete.
   */
  maxWaitMs?: number;
  /** Redacts what the HTTP instrumentations put on spans themselves (full URLs with their query, headers). */
  redactor?: Redactor;
}

/** Open spans kept before those of no held call are let go (see CaptureSpanProcessor.open). */
const OPEN_PRUNE_AT = 4096;

/**
 * Sits in front of the exporting processor: when a captured call's span ends, it adds the
 * payload attributes, waiting (bounded) for a body still being read, then passes the span on.
 */
export class CaptureSpanProcessor implements SpanProcessor {
  private readonly waiting = new Map<ReadableSpan, PendingCapture>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxWaitMs: number;
  private readonly redactor: Redactor | undefined;

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly next: SpanProcessor,
    options: CaptureSpanProcessorOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.redactor = options.redactor;
  }

  /**
   * When each span started, on the high-resolution clock. The SDK starts a span at Date.now(), a
   * whole millisecond, and a fast server (Redis, a local database) answers several calls within
   * one: the tape, ordered by start time, could not tell their order (two INCRs of one key would
   * swap replies), nor replay tell which of two calls finished first (CompletionOrder). A captured
   * call's span goes out with this start instead; its duration is already measured on this clock.
   */
  private readonly starts = new WeakMap<object, HrTime>();

  /**
   * Spans started and not yet ended, by ID: a call still waiting at exit is ended through its span.
   * A span the app never ends would stay for good, so past a bound those of no held call are let go.
   */
  private readonly open = new Map<string, Span>();
  private pruneOpenAt = OPEN_PRUNE_AT;

  onStart(span: Span, parentContext: Context): void {
    this.starts.set(span, hrTime());
    this.open.set(span.spanContext().spanId, span);
    if (this.open.size >= this.pruneOpenAt) this.pruneOpen();
    this.next.onStart(span, parentContext);
  }

  private pruneOpen(): void {
    for (const spanId of this.open.keys()) if (!this.registry.holdsSpan(spanId)) this.open.delete(spanId);
    // Amortised: the next pass comes once as many spans again are open.
    this.pruneOpenAt = Math.max(OPEN_PRUNE_AT, 2 * this.open.size);
  }

  onEnd(span: ReadableSpan): void {
    const { spanId } = span.spanContext();
    this.open.delete(spanId);
    const capture = this.registry.takeForSpan(spanId);
    if (!capture) {
      this.next.onEnd(this.redacted(span));
      return;
    }
    // The status message quotes the client's error, which can quote a key: it is stored in the
    // recorded response, so it gets the same patterns as bodies (the span's own copy is redacted below).
    if (span.status.code === SpanStatusCode.ERROR) capture.failWithoutResponse(this.redactText(span.status.message ?? ''), span);
    this.waiting.set(span, capture);
    const done = capture
      .settle(this.maxWaitMs)
      .then(() => this.forward(span))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.inFlight]);
    await this.next.forceFlush();
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.inFlight]);
    await this.next.shutdown();
  }

  /**
   * The process is ending: every call still waiting for its answer, with nothing of one yet, is
   * recorded as unanswered (its span ended now, in error), so that a replay leaves it unanswered
   * too instead of the recording losing it. Synchronous; releaseWaitingSync() passes them on.
   * Returns the traces of the calls so recorded.
   */
  endUnansweredSync(unanswered: UnansweredCall): Set<string> {
    const traces = new Set<string>();
    for (const [spanId, capture] of this.registry.heldBySpan()) {
      const span = this.open.get(spanId);
      if (!span || !capture.markUnanswered(unanswered)) continue;
      endUnansweredSpan(span);
      traces.add(capture.traceId);
    }
    return traces;
  }

  /**
   * On process exit nothing async runs again: pass on every waiting span now with what has been
   * captured so far (an unfinished body is marked incomplete on the span).
   */
  releaseWaitingSync(): void {
    for (const span of [...this.waiting.keys()]) this.forward(span);
  }

  private forward(span: ReadableSpan): void {
    const capture = this.waiting.get(span);
    if (!capture) return;
    this.waiting.delete(span);
    const start = this.starts.get(span);
    // The start on the high-resolution clock (see `starts`), the duration kept.
    const timing = start ? { startTime: start, endTime: addHrTimes(start, span.duration) } : {};
    const captured = spanWithChanges(span, { attributes: { ...span.attributes, ...capture.toAttributes() }, ...timing });
    this.registry.release(capture);
    this.next.onEnd(this.redacted(captured));
  }

  private redactText(text: string): string {
    return this.redactor ? this.redactor.text(text) : text;
  }

  private redacted(span: ReadableSpan): ReadableSpan {
    return this.redactor ? redactSpan(span, this.redactor) : span;
  }
}
