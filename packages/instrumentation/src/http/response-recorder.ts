import { encodeBody, type EncodedBody, type Redactor, type RecordedResponse } from '@tracetape/core';
import { decodeContent, isSupportedEncoding, parseContentEncoding } from './content-encoding.js';

export interface ResponseRecorderOptions {
  redactor: Redactor;
  maxBodyBytes: number;
}

/** Content types whose chunk boundaries carry meaning (each event arrives when produced). */
const STREAMING_TYPES = ['text/event-stream', 'application/x-ndjson', 'application/jsonl', 'application/stream+json'];

export function isStreamingContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return STREAMING_TYPES.includes(type);
}

/**
 * Reads a copy of a response (the interceptor's own copy, never the app's) as it arrives, noting
 * when each chunk came. It reads in the background, so the app's own copy of the stream is never held back, and
 * what it has read so far can be taken synchronously when the process exits mid-body.
 */
export class ResponseRecording {
  readonly done: Promise<void>;
  private readonly startedAt = performance.now();
  private readonly pieces: Array<{ offsetMs: number; bytes: Uint8Array }> = [];
  private readonly head: Pick<RecordedResponse, 'status' | 'statusText' | 'headers'>;
  private readonly codings: string[];
  private readonly streamed: boolean;
  private readonly contentType: string | undefined;
  private total = 0;
  private ended = false;
  private truncated = false;
  private error?: string;

  constructor(
    copy: Response,
    private readonly options: ResponseRecorderOptions,
  ) {
    this.head = { status: copy.status, statusText: copy.statusText, headers: options.redactor.headers(copy.headers) };
    this.codings = parseContentEncoding(copy.headers.get('content-encoding'));
    this.streamed = isStreamingContentType(copy.headers.get('content-type'));
    this.contentType = copy.headers.get('content-type') ?? undefined;
    this.done = this.read(copy.body);
  }

  private async read(body: ReadableStream<Uint8Array> | null): Promise<void> {
    if (!body) {
      this.ended = true;
      return;
    }
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const room = this.options.maxBodyBytes - this.total;
        if (value.byteLength > room) {
          this.pieces.push({ offsetMs: performance.now() - this.startedAt, bytes: value.subarray(0, room) });
          this.total += room;
          this.truncated = true;
          // Cancelling our branch of the tee stops it buffering; the app's branch keeps flowing.
          void reader.cancel().catch(() => {});
          break;
        }
        this.total += value.byteLength;
        this.pieces.push({ offsetMs: performance.now() - this.startedAt, bytes: value });
      }
      this.ended = !this.truncated;
    } catch (error) {
      // An error message can quote anything, a key included: it gets the same patterns as bodies.
      this.error = this.options.redactor.text(error instanceof Error ? error.message : String(error));
    }
  }

  /** The response as recorded so far; `complete` is false until the body has been read to its end. */
  snapshot(): RecordedResponse {
    const recorded: RecordedResponse = { ...this.head, complete: this.ended };
    if (this.truncated) recorded.truncated = true;
    if (this.error) recorded.error = this.error;
    if (this.codings.length > 0) recorded.contentEncoding = this.codings.join(', ');
    if (this.pieces.length === 0) return recorded;

    const raw = Buffer.concat(this.pieces.map((piece) => piece.bytes));
    if (this.codings.length > 0) {
      // An encoded stream's chunk boundaries do not survive decoding, so it is kept whole.
      if (this.ended && isSupportedEncoding(this.codings)) {
        try {
          recorded.body = this.redacted(encodeBody(decodeContent(raw, this.codings)));
          return recorded;
        } catch {
          // keep the bytes as they came
        }
      }
      recorded.bodyStillEncoded = true;
      recorded.body = encodeBody(raw);
    } else if (this.streamed) {
      // Per chunk, so chunk boundaries survive; a secret split across two chunks is not recognised.
      recorded.chunks = this.pieces.map((piece) => ({
        offsetMs: Math.round(piece.offsetMs * 1000) / 1000,
        body: this.redacted(encodeBody(piece.bytes)),
      }));
    } else {
      recorded.body = this.redacted(encodeBody(raw));
    }
    return recorded;
  }

  /** Responses are never hashed, but they are stored, and replayed as stored: with placeholders. */
  private redacted(body: EncodedBody): EncodedBody {
    return this.options.redactor.encodedBody(body, this.contentType);
  }
}
