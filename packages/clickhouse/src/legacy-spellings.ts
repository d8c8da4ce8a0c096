import type { SpanRow } from './store.js';

/*
 * Older Collector ClickHouse exporters wrote the protobuf enum names (`SPAN_KIND_SERVER`,
 * `STATUS_CODE_ERROR`); current ones, and tracetape, write pdata's short names (`Server`, `Error`).
 * Rows are read in the current spelling so nothing downstream has to know both.
 */

const SPAN_KINDS: Record<string, string> = {
  SPAN_KIND_UNSPECIFIED: 'Unspecified',
  SPAN_KIND_INTERNAL: 'Internal',
  SPAN_KIND_SERVER: 'Server',
  SPAN_KIND_CLIENT: 'Client',
  SPAN_KIND_PRODUCER: 'Producer',
  SPAN_KIND_CONSUMER: 'Consumer',
};

const STATUS_CODES: Record<string, string> = {
  STATUS_CODE_UNSET: 'Unset',
  STATUS_CODE_OK: 'Ok',
  STATUS_CODE_ERROR: 'Error',
};

/** A StatusCode in the current spelling. */
export function currentStatusSpelling(status: string): string {
  return STATUS_CODES[status] ?? status;
}

/** The row with SpanKind and StatusCode in the current spelling (in place, and returned). */
export function withCurrentSpellings(row: SpanRow): SpanRow {
  row.SpanKind = SPAN_KINDS[row.SpanKind] ?? row.SpanKind;
  row.StatusCode = currentStatusSpelling(row.StatusCode);
  return row;
}
