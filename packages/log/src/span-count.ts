import { isRowsRecord, RecordType, type LogRecord } from './record-format.js';
import { rowsRecordSpans } from './rows-record.js';

/** The key only a span carries in an OTLP/JSON request (events have `timeUnixNano`, links no time). */
const SPAN_KEY = Buffer.from('"startTimeUnixNano"');

/**
 * The spans in a spans or rows record, without parsing it. For OTLP/JSON, exact for what
 * JsonTraceSerializer writes: a quote inside a string value is escaped, so an attribute cannot
 * fake the key. A record without a type is taken as OTLP/JSON.
 */
export function countSpans(record: Pick<LogRecord, 'payload'> & { type?: RecordType }): number {
  if (isRowsRecord(record.type)) return rowsRecordSpans(record);
  if (record.type === RecordType.Control) return 0;
  let count = 0;
  let at = record.payload.indexOf(SPAN_KEY);
  while (at !== -1) {
    count++;
    at = record.payload.indexOf(SPAN_KEY, at + SPAN_KEY.length);
  }
  return count;
}
