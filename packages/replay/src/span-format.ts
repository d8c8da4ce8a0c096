import type { SpanRow } from '@tracetape/clickhouse';
import { ATTR_TRACETAPE_FORMAT, READABLE_TRACETAPE_FORMATS, TapeFormatError } from '@tracetape/core';

/**
 * Refuses a span a newer tracetape recorded in a format this one does not read: served as it
 * reads, its call could be answered wrongly (format 2's unanswered call, read as format 1, is a
 * failed one). Spans without the attribute (another pipeline's, or the first tracetape's) read as 1.
 */
export function checkSpanFormat(row: SpanRow): void {
  const format = row.SpanAttributes[ATTR_TRACETAPE_FORMAT];
  if (format === undefined || READABLE_TRACETAPE_FORMATS.includes(format)) return;
  throw new TapeFormatError(
    `span ${row.SpanId}`,
    `attribute ${ATTR_TRACETAPE_FORMAT} is "${format}": a newer tracetape recorded it (this one reads ${READABLE_TRACETAPE_FORMATS.join(', ')}); upgrade tracetape to read it`,
  );
}
