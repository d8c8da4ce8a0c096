import type { EncodedBody, Redactor } from '@tracetape/core';

/**
 * A door's call redacted as one JSON document, the way a JSON request body is: secret patterns
 * apply to every string, and body paths (`$.params[2]`, `$.args[1]`) to the document's own shape.
 */
export function redactJsonDocument<T>(document: T, redactor: Redactor): T {
  const redacted = redactor.body(Buffer.from(JSON.stringify(document), 'utf8'), 'application/json');
  return JSON.parse(Buffer.from(redacted).toString('utf8')) as T;
}

/** Text as a stored body. */
export function utf8Body(data: string): EncodedBody {
  return { encoding: 'utf8', data, size: Buffer.byteLength(data, 'utf8') };
}
