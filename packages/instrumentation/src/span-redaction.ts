import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { REDACTED, type Redactor } from '@tracetape/core';

/** Attributes that hold a whole URL or request target: their query parameters are redacted by name. */
const URL_ATTRIBUTES = new Set(['url.full', 'url.original', 'http.url', 'http.target']);
const QUERY_ATTRIBUTES = new Set(['url.query']);
const HEADER_ATTRIBUTE = /^http\.(?:request|response)\.header\.(.+)$/;

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
  const overrides: Partial<Record<keyof ReadableSpan, unknown>> = {};
  if (attributes) overrides.attributes = attributes;
  if (events) overrides.events = events;
  if (linksChanged) overrides.links = links;
  if (name !== span.name) overrides.name = name;
  if (statusChanged) overrides.status = { ...span.status, message };
  return new Proxy(span, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) return overrides[property as keyof ReadableSpan];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Redacted attributes, or undefined when nothing needed redacting (the common case: no copy). */
function redactAttributes(attributes: Attributes, redactor: Redactor): Attributes | undefined {
  let out: Attributes | undefined;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || key.startsWith('tracetape.')) continue;
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
  const redactString = URL_ATTRIBUTES.has(key)
    ? (text: string) => redactor.url(text)
    : QUERY_ATTRIBUTES.has(key)
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
