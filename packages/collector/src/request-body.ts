import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { MalformedRequestError, RejectedRequestError, RequestTooLargeError } from './errors.js';
import type { BodyLease } from './inflight-budget.js';

/**
 * An oversized body is still read to its end (and thrown away) up to this multiple of the limit,
 * so the sender gets its 413 instead of a connection reset mid-upload; past it the connection is
 * dropped rather than spend more bandwidth on it.
 */
const DRAIN_FACTOR = 4;

/**
 * Reads the request body, holding at most `limitBytes` of it, each chunk counted in `lease` as it
 * arrives (so the collector's in-flight budget bounds the bodies of all requests together).
 * @throws RequestTooLargeError past the limit (the socket is destroyed if the body is far larger).
 * @throws CollectorBusyError when the in-flight budget has no room (the rest is left unread).
 */
export async function readBody(request: IncomingMessage, limitBytes: number, lease: BodyLease): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > limitBytes * DRAIN_FACTOR) throw new RequestTooLargeError(limitBytes, false);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes * DRAIN_FACTOR) {
      request.socket.destroy();
      break;
    }
    if (size <= limitBytes) {
      lease.add(chunk.length);
      chunks.push(chunk);
    }
  }
  if (size > limitBytes) {
    chunks.length = 0;
    throw new RequestTooLargeError(limitBytes, false);
  }
  return joined(chunks, size, lease);
}

/**
 * Inflates a gzip body as a stream, stopping as soon as the output passes `limitBytes` or the
 * in-flight budget has no room for the next piece: a few kilobytes of gzip can inflate to
 * gigabytes, and memory must stay bounded by the limits, not the ratio. Inflated bytes are
 * counted in `lease`; the compressed body stays counted until the caller gives it back.
 * @throws RequestTooLargeError when the inflated body is over the limit
 * @throws CollectorBusyError when the in-flight budget has no room
 * @throws MalformedRequestError when the body is not gzip
 */
export async function inflateGzip(body: Buffer, limitBytes: number, lease: BodyLease): Promise<Buffer> {
  const gunzip = createGunzip();
  gunzip.end(body);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early (a throw) destroys the stream, so nothing more is inflated.
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw new RequestTooLargeError(limitBytes, true);
      lease.add(chunk.length);
      chunks.push(chunk);
    }
  } catch (error) {
    chunks.length = 0;
    if (error instanceof RejectedRequestError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new MalformedRequestError(`Content-Encoding is gzip but the body does not inflate (${message})`, error);
  }
  return joined(chunks, size, lease);
}

/** The chunks as one buffer; the copy is counted while both exist, then only the copy. */
function joined(chunks: Buffer[], size: number, lease: BodyLease): Buffer {
  if (chunks.length === 1) return chunks[0]!;
  lease.add(size);
  const whole = Buffer.concat(chunks, size);
  chunks.length = 0;
  lease.remove(size);
  return whole;
}
