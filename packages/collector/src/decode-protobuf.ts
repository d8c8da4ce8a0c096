import { MalformedRequestError } from './errors.js';
import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpSpan, OtlpTraceRequest } from './otlp-model.js';
import { ExportTraceServiceRequest } from './otlp-schema.js';

// The plain-object shape protobufjs' toObject gives for otlp-schema's messages with the options
// below: 64-bit integers as decimal strings, bytes as Buffers, unset fields absent.
interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: Uint8Array;
}
interface WireKeyValue {
  key?: string;
  value?: WireAnyValue;
}
interface WireSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: WireKeyValue[];
  events?: { timeUnixNano?: string; name?: string; attributes?: WireKeyValue[] }[];
  links?: { traceId?: Uint8Array; spanId?: Uint8Array; traceState?: string; attributes?: WireKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface WireRequest {
  resourceSpans?: {
    resource?: { attributes?: WireKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: WireSpan[] }[];
  }[];
}

const TO_OBJECT = { longs: String, enums: Number, defaults: false, arrays: true } as const;

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

function anyValue(value: WireAnyValue | undefined): OtlpAnyValue {
  if (!value) return { kind: 'empty' };
  if (value.stringValue !== undefined) return { kind: 'string', value: value.stringValue };
  if (value.boolValue !== undefined) return { kind: 'bool', value: value.boolValue };
  if (value.intValue !== undefined) return { kind: 'int', value: BigInt(value.intValue) };
  if (value.doubleValue !== undefined) return { kind: 'double', value: value.doubleValue };
  if (value.arrayValue !== undefined) return { kind: 'array', values: (value.arrayValue.values ?? []).map(anyValue) };
  if (value.kvlistValue !== undefined) return { kind: 'kvlist', values: keyValues(value.kvlistValue.values) };
  if (value.bytesValue !== undefined) return { kind: 'bytes', value: value.bytesValue };
  return { kind: 'empty' };
}

function keyValues(list: WireKeyValue[] | undefined): OtlpKeyValue[] {
  return (list ?? []).map((kv) => ({ key: kv.key ?? '', value: anyValue(kv.value) }));
}

function span(wire: WireSpan): OtlpSpan {
  return {
    traceId: hex(wire.traceId),
    spanId: hex(wire.spanId),
    traceState: wire.traceState ?? '',
    parentSpanId: hex(wire.parentSpanId),
    name: wire.name ?? '',
    kind: wire.kind ?? 0,
    startTimeUnixNano: BigInt(wire.startTimeUnixNano ?? 0),
    endTimeUnixNano: BigInt(wire.endTimeUnixNano ?? 0),
    attributes: keyValues(wire.attributes),
    events: (wire.events ?? []).map((e) => ({ timeUnixNano: BigInt(e.timeUnixNano ?? 0), name: e.name ?? '', attributes: keyValues(e.attributes) })),
    links: (wire.links ?? []).map((l) => ({
      traceId: hex(l.traceId),
      spanId: hex(l.spanId),
      traceState: l.traceState ?? '',
      attributes: keyValues(l.attributes),
    })),
    status: { code: wire.status?.code ?? 0, message: wire.status?.message ?? '' },
  };
}

/** Decodes an OTLP/protobuf ExportTraceServiceRequest. @throws MalformedRequestError */
export function decodeProtobufRequest(body: Uint8Array): OtlpTraceRequest {
  let wire: WireRequest;
  try {
    wire = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), TO_OBJECT) as WireRequest;
  } catch (error) {
    throw new MalformedRequestError(`protobuf decoding failed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const resourceSpans: OtlpResourceSpans[] = (wire.resourceSpans ?? []).map((rs) => ({
    resourceAttributes: keyValues(rs.resource?.attributes),
    scopeSpans: (rs.scopeSpans ?? []).map((ss) => ({
      scope: { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' },
      spans: (ss.spans ?? []).map(span),
    })),
  }));
  return { resourceSpans };
}
