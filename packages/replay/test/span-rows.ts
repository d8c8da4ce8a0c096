import type { SpanRow } from '@tracetape/clickhouse';
import { spanRow } from '../../clickhouse/test/spans.js';

/** The trace every row of these tests belongs to. */
export const TRACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** An `otel_traces` row as the store returns it, `at` seconds into the trace. */
export function row(spanId: string, parent: string, name: string, at: number, processPath: string | undefined, attributes: Record<string, string> = {}): SpanRow {
  return spanRow({
    Timestamp: `2030-01-01 00:00:0${at}.000000000`,
    TraceId: TRACE,
    SpanId: spanId,
    ParentSpanId: parent,
    SpanName: name,
    SpanKind: 'Internal',
    ServiceName: 'app',
    ResourceAttributes: processPath === undefined ? {} : { 'tracetape.process.path': processPath },
    SpanAttributes: attributes,
    Duration: '1000000',
    StatusCode: '',
  });
}
