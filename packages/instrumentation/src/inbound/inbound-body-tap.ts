import { encodeBody, type RecordedResponse } from '@tracetape/core';
import { decodeContent, isSupportedEncoding } from '../http/content-encoding.js';

/** A chunk handed to a stream (`write`, `'data'`), as bytes; anything else (a callback) is not body. */
export function chunkBytes(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, Buffer.isEncoding(String(encoding)) ? (encoding as BufferEncoding) : 'utf8');
  }
  // A copy: the app may reuse its buffer once the write returns.
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return undefined;
}

/**
 * Copies of the body bytes a server stream saw go by, with when each came, up to a size limit.
 * Nothing here reads the stream: the app's own reads and writes feed it.
 */
export class BodyTap {
  private readonly pieces: Array<{ offsetMs: number; bytes: Uint8Array }> = [];
  private startedAt: number | undefined;
  private total = 0;
  truncated = false;
  ended = false;

  constructor(private readonly maxBytes: number) {}

  /** Chunk offsets count from here (the response head going out); default: the first chunk. */
  markStart(): void {
    this.startedAt ??= performance.now();
  }

  add(bytes: Uint8Array | undefined): void {
    if (!bytes || bytes.byteLength === 0 || this.truncated) return;
    this.markStart();
    const offsetMs = performance.now() - this.startedAt!;
    const room = this.maxBytes - this.total;
    if (bytes.byteLength > room) {
      this.pieces.push({ offsetMs, bytes: bytes.subarray(0, room) });
      this.total += room;
      this.truncated = true;
      return;
    }
    this.pieces.push({ offsetMs, bytes });
    this.total += bytes.byteLength;
  }

  get size(): number {
    return this.total;
  }

  bytes(): Buffer {
    return Buffer.concat(this.pieces.map((piece) => piece.bytes));
  }

  /**
   * The body fields of a recorded response, stored the way outbound responses are: decoded from
   * its content-encoding when that is possible, as timed chunks when the content type streams.
   */
  responseBody(codings: string[], streamed: boolean): Pick<RecordedResponse, 'body' | 'chunks' | 'bodyStillEncoded'> {
    if (this.pieces.length === 0) return {};
    const raw = this.bytes();
    if (codings.length > 0) {
      if (this.ended && !this.truncated && isSupportedEncoding(codings)) {
        try {
          return { body: encodeBody(decodeContent(raw, codings)) };
        } catch {
          // keep the bytes as they went out
        }
      }
      return { body: encodeBody(raw), bodyStillEncoded: true };
    }
    if (streamed) {
      return {
        chunks: this.pieces.map((piece) => ({ offsetMs: Math.round(piece.offsetMs * 1000) / 1000, body: encodeBody(piece.bytes) })),
      };
    }
    return { body: encodeBody(raw) };
  }
}
