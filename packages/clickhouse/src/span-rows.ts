import { SpanKind, SpanStatusCode, type AttributeValue, type Attributes, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanRow } from './store.js';

/*
 * The conversion the Collector's ClickHouse exporter applies to an OTLP span (enum names from
 * pdata's String(), attribute values through pcommon.Value.AsString()), so a span exported
 * directly is the row a Collector pipeline would have written for it.
 */

const SPAN_KIND_NAMES: Partial<Record<SpanKind, string>> = {
  [SpanKind.INTERNAL]: 'Internal',
  [SpanKind.SERVER]: 'Server',
  [SpanKind.CLIENT]: 'Client',
  [SpanKind.PRODUCER]: 'Producer',
  [SpanKind.CONSUMER]: 'Consumer',
};

const STATUS_CODE_NAMES: Record<SpanStatusCode, string> = {
  [SpanStatusCode.UNSET]: 'Unset',
  [SpanStatusCode.OK]: 'Ok',
  [SpanStatusCode.ERROR]: 'Error',
};

const NANOS_PER_SECOND = 1_000_000_000n;

export function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(Math.trunc(time[0])) * NANOS_PER_SECOND + BigInt(Math.round(time[1]));
}

/** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' in UTC: how DateTime64(9) reads and prints in a UTC session. */
export function formatTimestamp(time: HrTime): string {
  return formatNanos(hrTimeToNanos(time));
}

/** Nanoseconds since the epoch as ClickHouse's DateTime64(9) text, UTC. */
export function formatNanos(nanos: bigint): string {
  const seconds = nanos / NANOS_PER_SECOND;
  const fraction = (nanos % NANOS_PER_SECOND).toString().padStart(9, '0');
  const date = new Date(Number(seconds) * 1000).toISOString();
  return `${date.slice(0, 10)} ${date.slice(11, 19)}.${fraction}`;
}

// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent.
function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(value)) return BigInt(value).toString();
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, rest = '', exp] = match;
  const digits = lead! + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.padEnd(point, '0').slice(0, point)}${digits.length > point ? '.' + digits.slice(point) : ''}`;
}

/** One attribute value as the Collector stores it: strings as-is, scalars printed, arrays as JSON. */
export function attributeValueToString(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

export function attributesToMap(attributes: Attributes | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!attributes) return map;
  // Keys, not entries: no [key, value] pair per attribute of every span to collect.
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value !== undefined && value !== null) map[key] = attributeValueToString(value);
  }
  return map;
}

/**
 * What toSpanRow reads of a span. An SDK ReadableSpan is one; the collector builds the same shape
 * from OTLP, so spans exported in-process and spans received over OTLP become identical rows.
 */
export type SpanRowSource = Pick<
  ReadableSpan,
  'name' | 'kind' | 'startTime' | 'duration' | 'status' | 'attributes' | 'events' | 'links' | 'parentSpanContext' | 'spanContext'
> & {
  resource: Pick<ReadableSpan['resource'], 'attributes'>;
  instrumentationScope: Pick<ReadableSpan['instrumentationScope'], 'name' | 'version'>;
};

/**
 * A resource's attributes as a row's map, converted once per resource: every span of a process
 * shares one, and reading it anew per span (the SDK's getter, then the conversion) was a
 * measurable part of each span's encoding. Rows share the map, frozen so that no writer can
 * change the rows of other spans through one.
 */
const resourceMaps = new WeakMap<object, Record<string, string>>();

function resourceAttributesOf(resource: SpanRowSource['resource']): Record<string, string> {
  let map = resourceMaps.get(resource);
  if (map === undefined) {
    map = Object.freeze(attributesToMap(resource.attributes));
    // A resource whose detectors have not answered yet gains attributes later: read it again then.
    if ((resource as { asyncAttributesPending?: boolean }).asyncAttributesPending !== true) resourceMaps.set(resource, map);
  }
  return map;
}

export function toSpanRow(span: SpanRowSource): SpanRow {
  const context = span.spanContext();
  const resourceAttributes = resourceAttributesOf(span.resource);
  return {
    Timestamp: formatTimestamp(span.startTime),
    TraceId: context.traceId,
    SpanId: context.spanId,
    ParentSpanId: span.parentSpanContext?.spanId ?? '',
    TraceState: context.traceState?.serialize() ?? '',
    SpanName: span.name,
    SpanKind: SPAN_KIND_NAMES[span.kind] ?? 'Unspecified',
    ServiceName: resourceAttributes['service.name'] ?? '',
    ResourceAttributes: resourceAttributes,
    ScopeName: span.instrumentationScope.name,
    ScopeVersion: span.instrumentationScope.version ?? '',
    SpanAttributes: attributesToMap(span.attributes),
    Duration: hrTimeToNanos(span.duration).toString(),
    StatusCode: STATUS_CODE_NAMES[span.status.code] ?? 'Unset',
    StatusMessage: span.status.message ?? '',
    'Events.Timestamp': span.events.map((e) => formatTimestamp(e.time)),
    'Events.Name': span.events.map((e) => e.name),
    'Events.Attributes': span.events.map((e) => attributesToMap(e.attributes)),
    'Links.TraceId': span.links.map((l) => l.context.traceId),
    'Links.SpanId': span.links.map((l) => l.context.spanId),
    'Links.TraceState': span.links.map((l) => l.context.traceState?.serialize() ?? ''),
    'Links.Attributes': span.links.map((l) => attributesToMap(l.attributes)),
  };
}
