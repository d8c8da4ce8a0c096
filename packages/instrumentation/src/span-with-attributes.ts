import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * An ended span seen with extra attributes. Ended spans are read-only, and the capture of a
 * response body can finish just after its span ends, so the attributes are merged on the way out.
 */
export function spanWithAttributes(span: ReadableSpan, extra: Attributes): ReadableSpan {
  const attributes: Attributes = { ...span.attributes, ...extra };
  return new Proxy(span, {
    get(target, property) {
      if (property === 'attributes') return attributes;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
