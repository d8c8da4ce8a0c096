import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import { Duplex } from 'node:stream';
import type { RawRequest } from '@tracetape/core';
import { endsAtOnce, rawRequest } from './http2-request.js';

/** How a replayed request gets its answer once the app has sent it: a response, or the error to fail the stream with. */
export type AnswerHttp2 = (request: RawRequest) => Promise<Response | Error>;

/**
 * A client stream answered from the tape: what the app writes is collected, and when it ends its
 * side the recorded response comes back as the events and data a real stream gives.
 */
class ReplayedHttp2Stream extends Duplex {
  readonly id: number;
  rstCode: number | undefined;
  readonly sentHeaders: http2.OutgoingHttpHeaders;
  private readonly sent: Buffer[] = [];

  constructor(id: number, authority: URL, headers: http2.OutgoingHttpHeaders, endNow: boolean, answer: AnswerHttp2) {
    super();
    this.id = id;
    this.sentHeaders = headers;
    this.once('finish', () => {
      void answer(rawRequest(authority, headers, Buffer.concat(this.sent))).then((outcome) => this.play(outcome));
    });
    if (endNow) setImmediate(() => this.end());
  }

  close(code = 0, callback?: () => void): void {
    this.rstCode = code;
    if (callback) this.once('close', callback);
    this.destroy();
  }

  setTimeout(): this {
    return this;
  }

  priority(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sent.push(Buffer.from(chunk));
    callback();
  }

  override _read(): void {}

  private async play(outcome: Response | Error): Promise<void> {
    if (this.destroyed) return;
    if (outcome instanceof Error) {
      this.rstCode = 2;
      this.destroy(outcome);
      return;
    }
    // As http2 gives them: `:status` a number, every other header a string.
    const headers: Record<string, string | number> = { ':status': outcome.status };
    outcome.headers.forEach((value, name) => void (headers[name] = value));
    this.emit('response', headers, 0);
    const reader = outcome.body?.getReader();
    for (let read = await reader?.read(); reader && read && !read.done; read = await reader.read()) {
      if (!this.destroyed) this.push(Buffer.from(read.value));
    }
    this.push(null);
    this.rstCode = 0;
  }
}

/**
 * A client session answered from the tape: it "connects" at once and opens no socket; each request
 * is a ReplayedHttp2Stream. Enough of ClientHttp2Session for code that requests, pings and closes.
 */
export class ReplayedHttp2Session extends EventEmitter {
  closed = false;
  destroyed = false;
  readonly connecting = false;
  readonly encrypted: boolean;
  readonly alpnProtocol = 'h2';
  readonly socket = null;
  readonly remoteSettings: http2.Settings = {};
  readonly localSettings: http2.Settings = {};
  readonly state: http2.SessionState = {};
  private nextId = 1;

  constructor(
    private readonly authority: URL,
    private readonly answer: AnswerHttp2,
    listener?: (session: ReplayedHttp2Session) => void,
  ) {
    super();
    this.encrypted = authority.protocol === 'https:';
    if (listener) this.once('connect', listener);
    process.nextTick(() => this.emit('connect', this));
  }

  get originSet(): string[] {
    return [this.authority.origin];
  }

  request(headers: http2.OutgoingHttpHeaders = {}, options?: http2.ClientSessionRequestOptions): ReplayedHttp2Stream {
    const full = { ':method': 'GET', ':path': '/', ':scheme': this.authority.protocol.replace(/:$/, ''), ':authority': this.authority.host, ...headers };
    const stream = new ReplayedHttp2Stream(this.nextId, this.authority, full, endsAtOnce(full, options), this.answer);
    this.nextId += 2;
    return stream;
  }

  ping(payloadOrCallback?: unknown, callback?: (error: Error | null, duration: number, payload: Buffer) => void): boolean {
    const done = typeof payloadOrCallback === 'function' ? (payloadOrCallback as typeof callback) : callback;
    const payload = Buffer.isBuffer(payloadOrCallback) ? payloadOrCallback : Buffer.alloc(8);
    if (done) setImmediate(() => done(null, 0, payload));
    return true;
  }

  settings(): void {}
  setTimeout(): void {}
  ref(): void {}
  unref(): void {}

  close(callback?: () => void): void {
    if (this.closed) return;
    this.closed = true;
    if (callback) this.once('close', callback);
    setImmediate(() => {
      this.destroyed = true;
      this.emit('close');
    });
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.closed = true;
    this.destroyed = true;
    setImmediate(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
  }
}
