import type { Span } from '@opentelemetry/api';
import type { BoundaryKind } from '@tracetape/core';
import { PendingCapture, type FailureReader, type SpanIds } from './pending-capture.js';

/**
 * Pending captures by the door's own request ID (to attach the response) and by span ID (for the
 * span processor). An entry leaves the span index when its span ends, and the request index when
 * its response arrives or, for a call that never had one (a refused connection), when its span
 * has been saved.
 */
export class CaptureRegistry {
  private readonly byRequest = new Map<string, PendingCapture>();
  private readonly bySpan = new Map<string, PendingCapture>();
  private readonly requestIds = new WeakMap<PendingCapture, string>();
  private readonly openAtEnd = new Set<() => void>();

  begin(requestId: string, span: SpanIds, kind: BoundaryKind = 'http'): PendingCapture {
    const capture = new PendingCapture(span, kind);
    this.byRequest.set(requestId, capture);
    this.bySpan.set(span.spanId, capture);
    this.requestIds.set(capture, requestId);
    return capture;
  }

  /**
   * A call known only by its span (a door whose instrumentation hands over the span itself).
   * `onFailure` reads the response of a call whose span ended in error from that span.
   *
   * A span that is not recording (its trace was sampled out, as a gateway's head sampling does to
   * most requests) never reaches a span processor, so nothing would ever take its capture: the
   * capture is handed back for the door to fill, but not held here.
   */
  track(span: Span, kind: BoundaryKind, onFailure?: FailureReader): PendingCapture {
    const ids = span.spanContext();
    const capture = new PendingCapture(ids, kind, onFailure);
    if (span.isRecording()) this.bySpan.set(ids.spanId, capture);
    return capture;
  }

  forRequest(requestId: string): PendingCapture | undefined {
    const capture = this.byRequest.get(requestId);
    this.byRequest.delete(requestId);
    return capture;
  }

  takeForSpan(spanId: string): PendingCapture | undefined {
    const capture = this.bySpan.get(spanId);
    this.bySpan.delete(spanId);
    return capture;
  }

  /** The capture's span was saved: a response arriving now has nowhere to go. */
  release(capture: PendingCapture): void {
    const requestId = this.requestIds.get(capture);
    if (requestId !== undefined && this.byRequest.get(requestId) === capture) this.byRequest.delete(requestId);
  }

  /**
   * A door whose calls can stay open for good (a WebSocket connection, a running child) says how
   * to record one as it stands when the process ends. Returns the undo.
   */
  atProcessEnd(recordOpenCalls: () => void): () => void {
    this.openAtEnd.add(recordOpenCalls);
    return () => this.openAtEnd.delete(recordOpenCalls);
  }

  /**
   * The process is ending: every door records its open calls as they stand, so that the flush
   * after this saves their spans.
   */
  endOpenCalls(): void {
    for (const recordOpenCalls of [...this.openAtEnd]) recordOpenCalls();
  }

  /** Whether a call is held for this span (it has not ended). */
  holdsSpan(spanId: string): boolean {
    return this.bySpan.has(spanId);
  }

  /** Calls still held by span (their span has not ended), with the span's ID. */
  heldBySpan(): Array<[spanId: string, capture: PendingCapture]> {
    return [...this.bySpan];
  }

  /**
   * Calls still held by span, counted by trace: at exit, once every saved span is forwarded, each
   * is a call whose span never ended (still in flight) or never reached tracetape's processors.
   */
  heldBySpanPerTrace(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const capture of this.bySpan.values()) counts.set(capture.traceId, (counts.get(capture.traceId) ?? 0) + 1);
    return counts;
  }

  /** Captures waiting for a response or for their span: what a long-running app holds right now. */
  get size(): { requests: number; spans: number } {
    return { requests: this.byRequest.size, spans: this.bySpan.size };
  }
}
