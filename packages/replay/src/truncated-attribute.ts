import type { SpanRow } from '@tracetape/clickhouse';
import { TracetapeError } from '@tracetape/core';

/**
 * A recording attribute was cut short before it reached the store: an OpenTelemetry SDK with
 * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT (or OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT) set keeps only the
 * first N characters of every string attribute, and a Collector's transform processor can do the
 * same. Replaying the rest would answer the app with a made-up body, so the step is refused.
 */
export class TruncatedAttributeError extends TracetapeError {
  readonly spanId: string;
  readonly attribute: string;
  readonly length: number;

  constructor(row: SpanRow, attribute: string, length: number) {
    super(
      'TRACETAPE_ATTRIBUTE_TRUNCATED',
      `Span ${row.SpanId} (${row.SpanName}) holds attribute ${attribute} cut off at ${length} characters: an attribute length limit ` +
        `(OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT or OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT in the recorded service, or a Collector processor ` +
        `that truncates attributes) shortened it, so this call cannot be replayed. Unset the limit for the services you record ` +
        `(tracetape stores large payloads in its payload table, not in the span), or exempt the tracetape.* attributes in the ` +
        `Collector, then record the run again.`,
    );
    this.spanId = row.SpanId;
    this.attribute = attribute;
    this.length = length;
  }
}

/**
 * True when `text` reads as the beginning of a JSON object or array that stops before its end:
 * brackets or a string still open when the text runs out. Text broken in other ways (a syntax
 * error in the middle) is not a cut-off and is reported as invalid instead.
 */
export function isCutOffJson(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return false;
  const open: string[] = [];
  let inString = false;
  let escaped = false;
  for (const char of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') open.push(char);
    else if (char === '}' || char === ']') {
      const expected = char === '}' ? '{' : '[';
      if (open.pop() !== expected) return false;
      // A complete value followed by more text is not a cut-off.
      if (open.length === 0) return false;
    }
  }
  return inString || open.length > 0;
}

const INPUT_HASH = /^[0-9a-f]{64}$/;

/** An input hash shorter than a SHA-256 but otherwise hex: cut by the same limits. */
export function isCutOffHash(value: string): boolean {
  return !INPUT_HASH.test(value) && value.length < 64 && /^[0-9a-f]+$/.test(value);
}
