import { decodeBody, type RecordedResponse } from '@tracetape/core';
import { encodeContent, isSupportedEncoding, parseContentEncoding } from './content-encoding.js';

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** Framing headers describe the recorded bytes on the wire, not the body served now. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive']);

/** A recorded response as a door serves it: its head, and its body as the chunks to hand over. */
export interface ServedResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** Null for a status that has no body. */
  chunks: Uint8Array<ArrayBuffer>[] | null;
  /** Recorded as a stream: each chunk goes to the client on its own event-loop turn. */
  streamed: boolean;
}

/**
 * Rebuilds a recorded response. Streamed bodies are served chunk by chunk as recorded (without the
 * original delays). A body recorded with a content-encoding is encoded again and served with that
 * header, so a client that decodes by itself sees what it saw when recording.
 */
export function servedResponse(recorded: RecordedResponse): ServedResponse {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of recorded.headers) {
    if (!FRAMING_HEADERS.has(name.toLowerCase())) headers.push([name, value]);
  }
  const head = { status: recorded.status, statusText: recorded.statusText, headers };
  if (NULL_BODY_STATUSES.has(recorded.status)) return { ...head, chunks: null, streamed: false };
  if (recorded.chunks) return { ...head, chunks: recorded.chunks.map((chunk) => decodeBody(chunk.body)), streamed: true };

  let body: Uint8Array<ArrayBuffer> = recorded.body ? decodeBody(recorded.body) : new Uint8Array();
  const codings = parseContentEncoding(recorded.contentEncoding ?? null);
  if (codings.length > 0) {
    if (recorded.bodyStillEncoded) {
      headers.push(['content-encoding', codings.join(', ')]);
    } else if (isSupportedEncoding(codings)) {
      body = new Uint8Array(encodeContent(Buffer.from(body), codings));
      headers.push(['content-encoding', codings.join(', ')]);
    }
  }
  return { ...head, chunks: [body], streamed: false };
}

/** The recorded response as a fetch Response, for the socket interceptor to write back. */
export function toFetchResponse(recorded: RecordedResponse): Response {
  const served = servedResponse(recorded);
  const init: ResponseInit = { status: served.status, statusText: served.statusText, headers: served.headers };
  if (!served.chunks) return new Response(null, init);
  if (!served.streamed) return new Response(served.chunks[0], init);
  const chunks = served.chunks;
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
