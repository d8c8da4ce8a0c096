import type { EncodedBody } from '@tracetape/core';
import type { ShownBody } from '../api.js';

/**
 * A body as the page shows it. JSON is parsed here, once, so the page renders a tree without
 * parsing megabytes itself; binary bodies are described, not sent, because base64 reads as noise.
 */
export function shownBody(body: EncodedBody): ShownBody {
  if (body.encoding === 'base64') return { kind: 'binary', size: body.size, note: `${body.size} bytes of binary data` };
  const text = body.data;
  if (looksLikeJson(text)) {
    try {
      return { kind: 'json', value: JSON.parse(text) as unknown, size: body.size };
    } catch {
      // Not JSON after all (a log line starting with a bracket): shown as text.
    }
  }
  return { kind: 'text', text, size: body.size };
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}
