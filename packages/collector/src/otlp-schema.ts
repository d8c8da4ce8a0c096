import protobuf from 'protobufjs';

/*
 * The OTLP trace messages the receiver reads and writes, described for protobufjs. OTLP publishes
 * no npm package with its .proto files, so they are restated here: the field numbers and wire
 * types are OTLP's (opentelemetry-proto: collector/trace/v1, trace/v1, common/v1, resource/v1)
 * and must never change; the names are the OTLP/JSON names, which matter only for readability.
 * Fields the receiver has no use for (schema URLs, dropped counts, flags, entity refs) are left
 * out: protobuf skips unknown fields, so senders that set them decode fine.
 */

type Fields = Record<string, { id: number; type: string; rule?: 'repeated' }>;

const repeated = (id: number, type: string) => ({ id, type, rule: 'repeated' as const });

const common: Record<string, { fields: Fields; oneofs?: Record<string, { oneof: string[] }> }> = {
  AnyValue: {
    oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
    fields: {
      stringValue: { id: 1, type: 'string' },
      boolValue: { id: 2, type: 'bool' },
      intValue: { id: 3, type: 'int64' },
      doubleValue: { id: 4, type: 'double' },
      arrayValue: { id: 5, type: 'ArrayValue' },
      kvlistValue: { id: 6, type: 'KeyValueList' },
      bytesValue: { id: 7, type: 'bytes' },
    },
  },
  ArrayValue: { fields: { values: repeated(1, 'AnyValue') } },
  KeyValueList: { fields: { values: repeated(1, 'KeyValue') } },
  KeyValue: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'AnyValue' } } },
  InstrumentationScope: { fields: { name: { id: 1, type: 'string' }, version: { id: 2, type: 'string' }, attributes: repeated(3, 'KeyValue') } },
  Resource: { fields: { attributes: repeated(1, 'KeyValue') } },
};

const trace: Record<string, { fields: Fields }> = {
  ExportTraceServiceRequest: { fields: { resourceSpans: repeated(1, 'ResourceSpans') } },
  ExportTraceServiceResponse: { fields: { partialSuccess: { id: 1, type: 'ExportTracePartialSuccess' } } },
  ExportTracePartialSuccess: { fields: { rejectedSpans: { id: 1, type: 'int64' }, errorMessage: { id: 2, type: 'string' } } },
  ResourceSpans: { fields: { resource: { id: 1, type: 'Resource' }, scopeSpans: repeated(2, 'ScopeSpans') } },
  ScopeSpans: { fields: { scope: { id: 1, type: 'InstrumentationScope' }, spans: repeated(2, 'Span') } },
  Span: {
    fields: {
      traceId: { id: 1, type: 'bytes' },
      spanId: { id: 2, type: 'bytes' },
      traceState: { id: 3, type: 'string' },
      parentSpanId: { id: 4, type: 'bytes' },
      name: { id: 5, type: 'string' },
      kind: { id: 6, type: 'int32' },
      startTimeUnixNano: { id: 7, type: 'fixed64' },
      endTimeUnixNano: { id: 8, type: 'fixed64' },
      attributes: repeated(9, 'KeyValue'),
      events: repeated(11, 'Event'),
      links: repeated(13, 'Link'),
      status: { id: 15, type: 'Status' },
    },
  },
  Event: { fields: { timeUnixNano: { id: 1, type: 'fixed64' }, name: { id: 2, type: 'string' }, attributes: repeated(3, 'KeyValue') } },
  Link: {
    fields: {
      traceId: { id: 1, type: 'bytes' },
      spanId: { id: 2, type: 'bytes' },
      traceState: { id: 3, type: 'string' },
      attributes: repeated(4, 'KeyValue'),
    },
  },
  // Enums travel as varints; reading them as int32 keeps values this receiver does not know.
  Status: { fields: { message: { id: 2, type: 'string' }, code: { id: 3, type: 'int32' } } },
  // google.rpc.Status: the body of every OTLP/HTTP error response.
  RpcStatus: { fields: { code: { id: 1, type: 'int32' }, message: { id: 2, type: 'string' } } },
};

const root = protobuf.Root.fromJSON({ nested: { tracetape: { nested: { otlp: { nested: { ...common, ...trace } } } } } });

// Timestamps are nanoseconds since the epoch, beyond a double's 53 bits: 64-bit fields must decode
// through long.js (a protobufjs dependency), never as lossy numbers.
if (!protobuf.util.Long) throw new Error('protobufjs found no long.js: 64-bit OTLP fields would lose precision');

const type = (name: string): protobuf.Type => root.lookupType(`tracetape.otlp.${name}`);

export const ExportTraceServiceRequest = type('ExportTraceServiceRequest');
export const ExportTraceServiceResponse = type('ExportTraceServiceResponse');
export const RpcStatus = type('RpcStatus');
