import { encodeBody, type EncodedBody, type Redactor, type RecordedResponse } from '@tracetape/core';
import { decodeContent, isSupportedEncoding, parseContentEncoding } from './content-encoding.js';
import type { ResponseBodySink } from './outbound-traffic.js';

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

/** A response's status line and headers, as the recording starts from them. */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: ReadonlyArray<readonly [string, string]>;
}

/**
 * Records a response as its body arrives, noting when each chunk came. The traffic source pushes a
 * copy of each chunk (never the app's own stream, which is never held back), and what has arrived
 * so far can be taken synchronously when the process exits mid-body.
 */
export class ResponseRecording implements ResponseBodySink {
  readonly done: Promise<void>;
  private settle!: () => void;
  private readonly startedAt = performance.now();
  private readonly pieces: Array<{ offsetMs: number; bytes: Uint8Array }> = [];
  private readonly head: Pick<RecordedResponse, 'status' | 'statusText' | 'headers'>;
  private readonly codings: string[];
  private readonly streamed: boolean;
  private readonly contentType: string | undefined;
  private total = 0;
  private ended = false;
  private truncated = false;
  private finished = false;
  private error?: string;

  constructor(
    head: ResponseHead,
    private readonly options: ResponseRecorderOptions,
  ) {
    this.done = new Promise<void>((resolve) => (this.settle = resolve));
    let contentType: string | undefined;
    let contentEncoding: string | null = null;
    for (const [name, value] of head.headers) {
      const lower = name.toLowerCase();
      if (lower === 'content-type') contentType ??= value;
      else if (lower === 'content-encoding') contentEncoding = contentEncoding === null ? value : `${contentEncoding}, ${value}`;
    }
    this.head = { status: head.status, statusText: head.statusText, headers: options.redactor.headers(head.headers as Iterable<[string, string]>) };
    this.codings = parseContentEncoding(contentEncoding);
    this.streamed = isStreamingContentType(contentType ?? null);
    this.contentType = contentType;
  }

  get wantsMore(): boolean {
    return !this.finished;
  }

  write(bytes: Uint8Array): void {
    if (this.finished || bytes.byteLength === 0) return;
    const offsetMs = performance.now() - this.startedAt;
    const room = this.options.maxBodyBytes - this.total;
    if (bytes.byteLength > room) {
      this.pieces.push({ offsetMs, bytes: bytes.subarray(0, room) });
      this.total += room;
      this.truncated = true;
      this.finish();
      return;
    }
    this.total += bytes.byteLength;
    this.pieces.push({ offsetMs, bytes });
  }

  end(error?: unknown): void {
    if (this.finished) return;
    if (error === undefined) this.ended = true;
    // An error message can quote anything, a key included: it gets the same patterns as bodies.
    else this.error = this.options.redactor.text(error instanceof Error ? error.message : String(error));
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.settle();
  }

  /** The response as recorded so far; `complete` is false until the body has been read to its end. */
  snapshot(): RecordedResponse {
    const recorded: RecordedResponse = { ...this.head, complete: this.ended };
    if (this.truncated) recorded.truncated = true;
    if (this.error) recorded.error = this.error;
    if (this.codings.length > 0) recorded.contentEncoding = this.codings.join(', ');
    if (this.pieces.length === 0) return recorded;

    // The pieces are capture's own copies: one piece is the body as it stands, not copied again.
    const only = this.pieces.length === 1 ? this.pieces[0]!.bytes : undefined;
    const raw = only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(this.pieces.map((piece) => piece.bytes));
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
