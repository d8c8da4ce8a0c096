import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Fields of an ended span that a processor on the way out may see differently. */
export type SpanChanges = { -readonly [K in 'name' | 'attributes' | 'events' | 'links' | 'status' | 'startTime' | 'endTime']?: ReadableSpan[K] };

/**
 * An ended span as a plain object, with some fields replaced. Ended spans are read-only, and the
 * capture of a response body can finish just after its span ends, so what capture adds is merged
 * on the way out. A plain copy rather than a Proxy: the exporter reads every field of every span,
 * and through stacked proxies each read was a trap and each method a fresh bound function.
 */
export function spanWithChanges(span: ReadableSpan, changes: SpanChanges): ReadableSpan {
  const context = span.spanContext();
  const view: ReadableSpan = {
    name: changes.name ?? span.name,
    kind: span.kind,
    spanContext: () => context,
    startTime: changes.startTime ?? span.startTime,
    endTime: changes.endTime ?? span.endTime,
    status: changes.status ?? span.status,
    attributes: changes.attributes ?? span.attributes,
    links: changes.links ?? span.links,
    events: changes.events ?? span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
  if (span.parentSpanContext) return { ...view, parentSpanContext: span.parentSpanContext };
  return view;
}

/** An ended span seen with extra attributes (see {@link spanWithChanges}). */
export function spanWithAttributes(span: ReadableSpan, extra: Attributes): ReadableSpan {
  return spanWithChanges(span, { attributes: { ...span.attributes, ...extra } });
}
