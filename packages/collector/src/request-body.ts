import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { MalformedRequestError, RequestTooLargeError } from './errors.js';

/**
 * An oversized body is still read to its end (and thrown away) up to this multiple of the limit,
 * so the sender gets its 413 instead of a connection reset mid-upload; past it the connection is
 * dropped rather than spend more bandwidth on it.
 */
const DRAIN_FACTOR = 4;

/**
 * Reads the request body, holding at most `limitBytes` of it.
 * @throws RequestTooLargeError past the limit (the socket is destroyed if the body is far larger).
 */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
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
    if (size <= limitBytes) chunks.push(chunk);
  }
  if (size > limitBytes) {
    chunks.length = 0;
    throw new RequestTooLargeError(limitBytes, false);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Inflates a gzip body, stopping as soon as the output passes `limitBytes`: a few kilobytes of
 * gzip can inflate to gigabytes, and memory must stay bounded by the limit, not the ratio.
 * @throws RequestTooLargeError when the inflated body is over the limit
 * @throws MalformedRequestError when the body is not gzip
 */
export function inflateGzip(body: Buffer, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limitBytes }, (error, inflated) => {
      if (!error) return resolve(inflated);
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return reject(new RequestTooLargeError(limitBytes, true));
      reject(new MalformedRequestError(`Content-Encoding is gzip but the body does not inflate (${error.message})`, error));
    });
  });
}
