import type { LogRecord } from './record-format.js';

/** The key only a span carries in an OTLP/JSON request (events have `timeUnixNano`, links no time). */
const SPAN_KEY = Buffer.from('"startTimeUnixNano"');

/**
 * The spans in a spans record, without parsing it. Exact for what JsonTraceSerializer writes: a
 * quote inside a string value is escaped, so an attribute cannot fake the key.
 */
export function countSpans(record: Pick<LogRecord, 'payload'>): number {
  let count = 0;
  let at = record.payload.indexOf(SPAN_KEY);
  while (at !== -1) {
    count++;
    at = record.payload.indexOf(SPAN_KEY, at + SPAN_KEY.length);
  }
  return count;
}
