import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_RESPONSE,
  ATTR_TRACETAPE_SIDE_EFFECT,
  TAPE_FORMAT,
  TAPE_VERSION,
  type BoundaryKind,
  type CapturedRequest,
  type RecordedResponse,
  type Tape,
  type TapeEntry,
} from '@tracetape/core';

/**
 * The tape a door's captured spans make, as the replay package builds one from the store: the
 * spans of `kind`, in start order, as steps. Returns those spans (sorted) with it.
 */
export function tapeFromSpans(finished: readonly ReadableSpan[], kind: BoundaryKind): { spans: ReadableSpan[]; tape: Tape } {
  const spans = finished.filter((span) => span.attributes[ATTR_TRACETAPE_KIND] === kind);
  spans.sort((a, b) => hrTimeToMilliseconds(a.startTime) - hrTimeToMilliseconds(b.startTime));
  const entries = spans.map(
    (span, index): TapeEntry => ({
      step: index + 1,
      kind,
      spanId: span.spanContext().spanId,
      spanName: span.name,
      startTime: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
      durationMs: hrTimeToMilliseconds(span.duration),
      inputHash: String(span.attributes[ATTR_TRACETAPE_INPUT_HASH]),
      request: JSON.parse(String(span.attributes[ATTR_TRACETAPE_REQUEST])) as CapturedRequest,
      response: JSON.parse(String(span.attributes[ATTR_TRACETAPE_RESPONSE])) as RecordedResponse,
      sideEffect: span.attributes[ATTR_TRACETAPE_SIDE_EFFECT] === 'true',
    }),
  );
  const tape: Tape = { format: TAPE_FORMAT, version: TAPE_VERSION, traceId: '0'.repeat(31) + '1', serviceName: 'test', rootName: 'test', recordedAt: new Date().toISOString(), entries };
  return { spans, tape };
}
