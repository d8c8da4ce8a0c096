import type { RecordedResponse, Redactor } from '@tracetape/core';
import { utf8Body } from './json-document.js';

/**
 * A failed database call as the tape keeps it: status 0, the error's name, message and the
 * client's own `fields` (the ones the app may branch on), redacted; `extra` is what a door adds.
 */
export function databaseErrorResponse(error: unknown, fields: readonly string[], redactor: Redactor, extra: Record<string, unknown> = {}): RecordedResponse {
  const source = (error ?? {}) as Record<string, unknown>;
  const message = error instanceof Error ? error.message : String(error);
  const stored: Record<string, unknown> = { name: error instanceof Error ? error.name : 'Error', message };
  for (const field of fields) if (source[field] !== undefined) stored[field] = source[field];
  Object.assign(stored, extra);
  return {
    status: 0,
    statusText: typeof source.code === 'string' ? source.code : '',
    headers: [],
    body: redactor.encodedBody(utf8Body(JSON.stringify({ error: stored })), 'application/json'),
    complete: true,
    error: redactor.text(message),
  };
}
