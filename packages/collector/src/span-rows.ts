import { SpanKind, SpanStatusCode, TraceFlags, type HrTime, type SpanContext, type TraceState } from '@opentelemetry/api';
import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads, toSpanRow, type PayloadRow, type SpanRow, type SpanRowSource } from '@tracetape/clickhouse';
import { renderAttributes } from './attribute-values.js';
import type { OtlpSpan, OtlpTraceRequest } from './otlp-model.js';

/*
 * OTLP spans become rows through the in-process exporter's own toSpanRow and offloadPayloads:
 * each span is presented in the shape toSpanRow reads, so the row is the one the register hook
 * would have written for the same span had it stored it directly.
 */

export interface ConvertedSpans {
  rows: SpanRow[];
  payloads: PayloadRow[];
  /** Spans that cannot be stored, with why (for the partial-success message). */
  rejected: { count: number; reasons: string[] };
}

const NANOS_PER_SECOND = 1_000_000_000n;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ALL_ZEROS = /^0+$/;
/** Enough for a sender to see what is wrong without the response growing with the batch. */
const MAX_REASONS = 5;

// OTLP numbers span kinds from 1 (0 is "unspecified"), the API from 0.
const API_SPAN_KIND: Record<number, SpanKind> = {
  1: SpanKind.INTERNAL,
  2: SpanKind.SERVER,
  3: SpanKind.CLIENT,
  4: SpanKind.PRODUCER,
  5: SpanKind.CONSUMER,
};
/** How the Collector's ClickHouse exporter writes a span kind the API cannot express. */
const UNSPECIFIED_KIND = 'Unspecified';

function hrTime(nanos: bigint): HrTime {
  return [Number(nanos / NANOS_PER_SECOND), Number(nanos % NANOS_PER_SECOND)];
}

/** A trace state kept exactly as sent: the row stores the header text, not a re-serialisation. */
class VerbatimTraceState implements TraceState {
  constructor(private readonly text: string) {}
  set(): TraceState {
    return this;
  }
  unset(): TraceState {
    return this;
  }
  get(): string | undefined {
    return undefined;
  }
  serialize(): string {
    return this.text;
  }
}

function spanContext(traceId: string, spanId: string, traceState: string): SpanContext {
  return {
    traceId,
    spanId,
    traceFlags: TraceFlags.SAMPLED,
    ...(traceState ? { traceState: new VerbatimTraceState(traceState) } : {}),
  };
}

/** Why a span cannot be stored, or undefined when it can. */
function problemWith(span: OtlpSpan): string | undefined {
  if (!TRACE_ID.test(span.traceId) || ALL_ZEROS.test(span.traceId)) return `span "${span.name}" has an invalid trace ID ("${span.traceId}")`;
  if (!SPAN_ID.test(span.spanId) || ALL_ZEROS.test(span.spanId)) return `span "${span.name}" has an invalid span ID ("${span.spanId}")`;
  if (span.parentSpanId !== '' && !SPAN_ID.test(span.parentSpanId)) {
    return `span "${span.name}" has an invalid parent span ID ("${span.parentSpanId}")`;
  }
  if (span.endTimeUnixNano < span.startTimeUnixNano) return `span "${span.name}" (${span.spanId}) ends before it starts`;
  return undefined;
}

function rowSource(span: OtlpSpan, resource: SpanRowSource['resource'], scope: { name: string; version: string }): SpanRowSource {
  const context = spanContext(span.traceId, span.spanId, span.traceState);
  return {
    name: span.name,
    kind: API_SPAN_KIND[span.kind] ?? SpanKind.INTERNAL,
    startTime: hrTime(span.startTimeUnixNano),
    duration: hrTime(span.endTimeUnixNano - span.startTimeUnixNano),
    status: { code: span.status.code as SpanStatusCode, ...(span.status.message ? { message: span.status.message } : {}) },
    attributes: renderAttributes(span.attributes),
    events: span.events.map((event) => ({ time: hrTime(event.timeUnixNano), name: event.name, attributes: renderAttributes(event.attributes) })),
    links: span.links.map((link) => ({
      context: spanContext(link.traceId, link.spanId, link.traceState),
      attributes: renderAttributes(link.attributes),
    })),
    parentSpanContext: span.parentSpanId ? spanContext(span.traceId, span.parentSpanId, '') : undefined,
    spanContext: () => context,
    resource,
    instrumentationScope: scope.version ? { name: scope.name, version: scope.version } : { name: scope.name },
  };
}

/** Rows (with large payloads moved out) for every storable span of the request. */
export function convertRequest(request: OtlpTraceRequest, payloadThresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES): ConvertedSpans {
  const converted: ConvertedSpans = { rows: [], payloads: [], rejected: { count: 0, reasons: [] } };
  const reject = (reason: string): void => {
    converted.rejected.count++;
    if (converted.rejected.reasons.length < MAX_REASONS) converted.rejected.reasons.push(reason);
  };
  for (const resource of request.resourceSpans) {
    // One object per resource, as an SDK's spans share theirs: its row map is then made once.
    const spanResource = { attributes: renderAttributes(resource.resourceAttributes) };
    for (const { scope, spans } of resource.scopeSpans) {
      for (const span of spans) {
        const problem = problemWith(span);
        if (problem) {
          reject(problem);
          continue;
        }
        try {
          const row = toSpanRow(rowSource(span, spanResource, scope));
          if (!(span.kind in API_SPAN_KIND)) row.SpanKind = UNSPECIFIED_KIND;
          converted.payloads.push(...offloadPayloads(row, { thresholdBytes: payloadThresholdBytes }));
          converted.rows.push(row);
        } catch (error) {
          reject(`span "${span.name}" (${span.spanId}) could not be converted: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
  return converted;
}
