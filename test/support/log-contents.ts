import { decodeSpanRows } from '@tracetape/clickhouse';
import { decodeControl, decodeRowsRecord, listSegments, readSegment, RecordType, type ControlRecord, type DecodeStop, type SegmentFile } from '@tracetape/log';

interface OtlpJson {
  resourceSpans?: { scopeSpans?: { spans?: { traceId: string; spanId: string }[] }[] }[];
}

export interface LogContents {
  segments: SegmentFile[];
  /** Whole span records, and the spans in them per trace ID. */
  spanRecords: number;
  spans: Map<string, number>;
  controls: ControlRecord[];
  /** Per segment, where reading stopped: a tail still being written, or torn. */
  stops: DecodeStop[];
}

/** What the recording log holds now, read with the log's own reader: whole records only. */
export function readLog(dir: string): LogContents {
  const contents: LogContents = { segments: listSegments(dir), spanRecords: 0, spans: new Map(), controls: [], stops: [] };
  for (const segment of contents.segments) {
    let read;
    try {
      read = readSegment(segment.path, 0);
    } catch {
      continue; // Removed by an ingester meanwhile.
    }
    contents.stops.push(read.stop);
    for (const record of read.records) {
      if (record.type === RecordType.Control) {
        contents.controls.push(decodeControl(record));
        continue;
      }
      contents.spanRecords++;
      if (record.type === RecordType.Rows) {
        for (const row of decodeSpanRows(decodeRowsRecord(record).spans)) contents.spans.set(row.TraceId, (contents.spans.get(row.TraceId) ?? 0) + 1);
        continue;
      }
      const request = JSON.parse(record.payload.toString('utf8')) as OtlpJson;
      for (const resource of request.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) contents.spans.set(span.traceId, (contents.spans.get(span.traceId) ?? 0) + 1);
        }
      }
    }
  }
  return contents;
}

/** Polls `check` every `everyMs` until it returns a value, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
