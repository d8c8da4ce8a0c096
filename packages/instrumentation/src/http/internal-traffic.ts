import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';

/** tracetape's own calls (the exporter talking to ClickHouse or a collector) are never captured nor blocked. */
export function isInternalRequest(request: Request): boolean {
  return request.headers.has(INTERNAL_REQUEST_HEADER);
}
