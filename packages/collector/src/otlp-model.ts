/**
 * An OTLP trace export as the receiver works with it, whatever the encoding it arrived in:
 * IDs as lower-case hex (as stored), times as exact nanoseconds, enums as their numbers.
 * Both decoders produce this; the conversion to rows reads only this.
 */

export type OtlpAnyValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'array'; values: OtlpAnyValue[] }
  | { kind: 'kvlist'; values: OtlpKeyValue[] }
  /** OTLP allows an AnyValue with none of its fields set. */
  | { kind: 'empty' };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: OtlpKeyValue[];
}

export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: OtlpKeyValue[];
}

/** OTLP's numbering: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type OtlpSpanKind = number;
/** OTLP's numbering: 0 unset, 1 ok, 2 error. */
export type OtlpStatusCode = number;

export interface OtlpSpan {
  /** Hex; empty or of the wrong length when the sender got it wrong (the span is then rejected). */
  traceId: string;
  spanId: string;
  traceState: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: OtlpSpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpKeyValue[];
  events: OtlpEvent[];
  links: OtlpLink[];
  status: { code: OtlpStatusCode; message: string };
}

export interface OtlpScopeSpans {
  scope: { name: string; version: string };
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resourceAttributes: OtlpKeyValue[];
  scopeSpans: OtlpScopeSpans[];
}

export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

export function spanCount(request: OtlpTraceRequest): number {
  let count = 0;
  for (const resource of request.resourceSpans) for (const scope of resource.scopeSpans) count += scope.spans.length;
  return count;
}
