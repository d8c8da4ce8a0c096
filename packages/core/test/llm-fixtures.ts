import { encodeBody, normalizeRequest, type NormalizedRequest, type RecordedResponse } from '@tracetape/core';

/** A POST of a JSON body, normalised as capture stores it. */
export function postJson(url: string, body: unknown): NormalizedRequest {
  return normalizeRequest({
    method: 'POST',
    url,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
  });
}

export function jsonResponse(body: unknown, status = 200): RecordedResponse {
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    headers: [['content-type', 'application/json']],
    body: encodeBody(Buffer.from(JSON.stringify(body))),
    complete: true,
  };
}

/**
 * A streamed response as capture records it: the text cut into chunks every `every` characters,
 * so events are split mid-line the way network reads split them.
 */
export function streamedResponse(text: string, every = 7, contentType = 'text/event-stream'): RecordedResponse {
  const chunks = [];
  for (let at = 0; at < text.length; at += every) {
    chunks.push({ offsetMs: at, body: encodeBody(Buffer.from(text.slice(at, at + every))) });
  }
  return { status: 200, statusText: 'OK', headers: [['content-type', contentType]], chunks, complete: true };
}

/** Server-sent events: `data:` lines, each preceded by an `event:` line when named. */
export function sse(events: Array<{ event?: string; data: unknown } | string>): string {
  return events
    .map((item) => {
      if (typeof item === 'string') return `data: ${item}\n\n`;
      const head = item.event ? `event: ${item.event}\n` : '';
      return `${head}data: ${JSON.stringify(item.data)}\n\n`;
    })
    .join('');
}
