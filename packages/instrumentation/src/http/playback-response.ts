import { decodeBody, type RecordedResponse } from '@tracetape/core';
import { encodeContent, isSupportedEncoding, parseContentEncoding } from './content-encoding.js';

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** Framing headers describe the recorded bytes on the wire, not the body served now. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive']);

/**
 * Rebuilds a recorded response. Streamed bodies are served chunk by chunk as recorded (without the
 * original delays). A body recorded with a content-encoding is encoded again and served with that
 * header, so a client that decodes by itself sees what it saw when recording.
 */
export function toFetchResponse(recorded: RecordedResponse): Response {
  const headers = new Headers();
  for (const [name, value] of recorded.headers) {
    if (!FRAMING_HEADERS.has(name.toLowerCase())) headers.append(name, value);
  }
  const init: ResponseInit = { status: recorded.status, statusText: recorded.statusText, headers };
  if (NULL_BODY_STATUSES.has(recorded.status)) return new Response(null, init);

  if (recorded.chunks) {
    const chunks = recorded.chunks.map((chunk) => decodeBody(chunk.body));
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
        // One event-loop turn per chunk, so the client delivers each chunk on its own instead of merging the backlog.
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    return new Response(stream, init);
  }

  let body: Uint8Array<ArrayBuffer> = recorded.body ? decodeBody(recorded.body) : new Uint8Array();
  const codings = parseContentEncoding(recorded.contentEncoding ?? null);
  if (codings.length > 0) {
    if (recorded.bodyStillEncoded) {
      headers.set('content-encoding', codings.join(', '));
    } else if (isSupportedEncoding(codings)) {
      body = new Uint8Array(encodeContent(Buffer.from(body), codings));
      headers.set('content-encoding', codings.join(', '));
    }
  }
  return new Response(body, init);
}
