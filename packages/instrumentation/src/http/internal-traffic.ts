import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';

/** tracetape's own calls (the exporter talking to ClickHouse or a collector) are never captured nor blocked: the test on headers as plain pairs (any case). */
export function hasInternalHeader(headers: ReadonlyArray<readonly [string, string]>): boolean {
  return headers.some(([name]) => name.length === INTERNAL_REQUEST_HEADER.length && name.toLowerCase() === INTERNAL_REQUEST_HEADER);
}
