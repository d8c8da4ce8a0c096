import { attributeValueToString } from '@tracetape/clickhouse';
import type { OtlpAnyValue, OtlpKeyValue } from './otlp-model.js';

/*
 * Attribute values as strings, exactly as the in-process exporter renders the same SDK attribute
 * (attributeValueToString: scalars printed, arrays as JSON), so a span stored through the
 * collector reads back identical to one stored directly. OTLP can carry more than SDK attributes
 * (64-bit integers, bytes, nested maps): integers keep all their digits, bytes become base64 and
 * maps JSON objects, as the OpenTelemetry Collector's AsString() renders them.
 */

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** JSON text of a value inside an array or map. Written out by hand: 64-bit integers are not JS numbers. */
function json(value: OtlpAnyValue): string {
  switch (value.kind) {
    case 'string':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      // As JSON.stringify does inside an SDK array attribute (non-finite numbers become null).
      return JSON.stringify(value.value);
    case 'bytes':
      return JSON.stringify(base64(value.value));
    case 'array':
      return `[${value.values.map(json).join(',')}]`;
    case 'kvlist':
      return `{${value.values.map((kv) => `${JSON.stringify(kv.key)}:${json(kv.value)}`).join(',')}}`;
    case 'empty':
      return 'null';
  }
}

export function anyValueToString(value: OtlpAnyValue): string {
  switch (value.kind) {
    case 'string':
      return value.value;
    case 'bool':
    case 'double':
      return attributeValueToString(value.value);
    case 'int':
      return value.value.toString();
    case 'bytes':
      return base64(value.value);
    case 'array':
    case 'kvlist':
      return json(value);
    case 'empty':
      return '';
  }
}

/**
 * Attributes with their values already rendered: handed to toSpanRow, strings pass through its
 * own rendering unchanged. A repeated key keeps its last value, as a map insert would.
 */
export function renderAttributes(attributes: OtlpKeyValue[]): Record<string, string> {
  const rendered: Record<string, string> = {};
  for (const { key, value } of attributes) rendered[key] = anyValueToString(value);
  return rendered;
}
