import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_CAPTURE_ERROR, REDACTED, type Redactor } from '@tracetape/core';
import { spanWithChanges, type SpanChanges } from '../span-with-attributes.js';

/**
 * Attributes that hold a whole URL, a request target or a connection string (`url.full`,
 * `url.original`, `http.url`, `http.target`, `db.connection_string`, and any other instrumentation's
 * `*.url` / `*.uri` / `*.href`): query parameters are redacted by name and a user-info password
 * goes. Matched by the shape of the key rather than listed one by one, so an instrumentation
 * (or a semantic-convention version) that names its URL attribute differently is still covered.
 */
const URL_ATTRIBUTE = /(?:^|\.)(?:url|uri|href|full|original|target|connection_string)$/;
/** `url.query` (with or without its `?`) and the like: a bare query string. */
const QUERY_ATTRIBUTE = /(?:^|\.)query(?:_string)?$/;
const HEADER_ATTRIBUTE = /^http\.(?:request|response)\.header\.(.+)$/;
/**
 * Of tracetape's own attributes, those holding free text (an error message): the payload
 * attributes were built from redacted requests and responses, but this one quotes whatever
 * error the capture met.
 */
const TRACETAPE_TEXT_ATTRIBUTES = new Set([ATTR_TRACETAPE_CAPTURE_ERROR]);

/**
 * The span as it may be exported: the HTTP instrumentations put the full URL (query included),
 * and sometimes headers, on spans of their own, and an exception event can quote a request. The
 * tracetape payload attributes are left as they are: they were built from redacted requests.
 */
export function redactSpan(span: ReadableSpan, redactor: Redactor): ReadableSpan {
  const attributes = redactAttributes(span.attributes, redactor);
  const events = redactEvents(span.events, redactor);
  const links = span.links.map((link) => {
    const redacted = link.attributes ? redactAttributes(link.attributes, redactor) : undefined;
    return redacted ? { ...link, attributes: redacted } : link;
  });
  const linksChanged = links.some((link, index) => link !== span.links[index]);
  const name = redactor.text(span.name);
  const message = span.status.message === undefined ? undefined : redactor.text(span.status.message);
  const statusChanged = message !== span.status.message;
  if (!attributes && !events && !linksChanged && name === span.name && !statusChanged) return span;
  const changes: SpanChanges = {};
  if (attributes) changes.attributes = attributes;
  if (events) changes.events = events;
  if (linksChanged) changes.links = links;
  if (name !== span.name) changes.name = name;
  if (statusChanged) changes.status = { ...span.status, message };
  return spanWithChanges(span, changes);
}

/** Redacted attributes, or undefined when nothing needed redacting (the common case: no copy). */
function redactAttributes(attributes: Attributes, redactor: Redactor): Attributes | undefined {
  let out: Attributes | undefined;
  // Keys, not entries: every span passes here, and a [key, value] pair per attribute is garbage at once.
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value === undefined || (key.startsWith('tracetape.') && !TRACETAPE_TEXT_ATTRIBUTES.has(key))) continue;
    const redacted = redactValue(key, value, redactor);
    if (redacted !== value) {
      out ??= { ...attributes };
      out[key] = redacted;
    }
  }
  return out;
}

function redactValue(key: string, value: AttributeValue, redactor: Redactor): AttributeValue {
  const header = HEADER_ATTRIBUTE.exec(key);
  if (header && (redactor.isRedactedHeader(header[1]!) || redactor.isRedactedHeader(header[1]!.replace(/_/g, '-')))) {
    return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  }
  // A header value can be a URL too (`referer`, `location`): redacting it as one is the same as
  // redacting text when it has no query.
  const redactString = header || URL_ATTRIBUTE.test(key)
    ? (text: string) => redactor.url(text)
    : QUERY_ATTRIBUTE.test(key)
      ? (text: string) => redactor.query(text)
      : (text: string) => redactor.text(text);
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value) && value.some((item) => typeof item === 'string')) {
    const items = (value as Array<string | null | undefined>).map((item) => (typeof item === 'string' ? redactString(item) : item));
    return items.some((item, index) => item !== value[index]) ? (items as AttributeValue) : value;
  }
  return value;
}

function redactEvents(events: readonly TimedEvent[], redactor: Redactor): TimedEvent[] | undefined {
  let changed = false;
  const out = events.map((event) => {
    const attributes = event.attributes ? redactAttributes(event.attributes, redactor) : undefined;
    const name = redactor.text(event.name);
    if (!attributes && name === event.name) return event;
    changed = true;
    return { ...event, name, ...(attributes ? { attributes } : {}) };
  });
  return changed ? out : undefined;
}
