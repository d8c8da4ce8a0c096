import type { Attributes, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** What tracetape adds to spans (payloads, hashes, run marks): never the app exporter's to send. */
const TRACETAPE_ATTRIBUTE_PREFIX = 'tracetape.';

/**
 * A span as the app's own SDK would have made it: its resource (service name), none of
 * tracetape's attributes, and the parent it has without tracetape's own spans. SDK 1.x exporters
 * read the parent and scope under their older names, so those are given too.
 */
export type AppSpanView = ReadableSpan & {
  readonly parentSpanId: string | undefined;
  readonly instrumentationLibrary: ReadableSpan['instrumentationScope'];
};

export function appSpanView(span: ReadableSpan, resource: object, parent: SpanContext | undefined): AppSpanView {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: parent,
    parentSpanId: parent?.spanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: withoutTracetapeAttributes(span.attributes),
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: resource as ReadableSpan['resource'],
    instrumentationScope: span.instrumentationScope,
    instrumentationLibrary: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** The attributes without tracetape's: the same object when it has none of them, as the app's own spans do. */
export function withoutTracetapeAttributes(attributes: Attributes): Attributes {
  const keys = Object.keys(attributes);
  if (!keys.some(isTracetapeAttribute)) return attributes;
  const kept: Attributes = {};
  for (const key of keys) if (!isTracetapeAttribute(key)) kept[key] = attributes[key];
  return kept;
}

function isTracetapeAttribute(key: string): boolean {
  return key.startsWith(TRACETAPE_ATTRIBUTE_PREFIX);
}
