import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';
import type { OutboundRequestEvent, OutboundResponseEvent, OutboundTraffic } from './outbound-traffic.js';

interface TrafficListeners {
  request: Set<(event: OutboundRequestEvent) => void>;
  response: Set<(event: OutboundResponseEvent) => void>;
}

// The shapes undici publishes (Node's bundled undici 7.x); only what is read here.
interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  headers: string[] | string;
  /** The body's source; for fetch an async iterator, so not something to read here. */
  body?: unknown;
}
interface UndiciResponse {
  statusCode: number;
  statusText: string;
  headers: Array<Buffer | string>;
}

interface Call {
  id: string;
  sent: Buffer[];
  requestEmitted: boolean;
  body?: ReadableStreamDefaultController<Uint8Array>;
}

/** Statuses a Response may not carry a body for. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Node 24.4 and later: undici publishes the body chunks it sends and receives. */
export function channelCaptureAvailable(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 4);
}

function chunkBytes(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return undefined;
}

function pairs(flat: ReadonlyArray<Buffer | string>): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([String(flat[i]), String(flat[i + 1])]);
  return result;
}

function undiciHeaders(headers: string[] | string): Array<[string, string]> {
  if (Array.isArray(headers)) return pairs(headers);
  // Older undici: one 'name: value\r\n' block.
  return headers
    .split('\r\n')
    .filter((line) => line.includes(':'))
    .map((line) => [line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()]);
}

function clientRequestHeaders(request: ClientRequest): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (const name of request.getRawHeaderNames()) {
    const value = request.getHeader(name);
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) result.push([name, String(one)]);
  }
  return result;
}

/**
 * Outbound HTTP as Node's diagnostics channels publish it: undici's request and body-chunk
 * channels (fetch), and node:http's client request and response channels, whose bodies are
 * copied by wrapping that request's write/end and that response's push. Nothing re-parses the
 * traffic, which is what the socket-level interceptor costs (BENCHMARKS.md, capture layers).
 * Listeners get a Request built from what was sent and a Response whose body is a copy, as the
 * interceptor gives them. Capture only: replay must answer requests, which takes the interceptor.
 */
export class ChannelTraffic implements OutboundTraffic {
  private readonly listeners: TrafficListeners = { request: new Set(), response: new Set() };
  private readonly calls = new WeakMap<object, Call>();
  private nextId = 0;
  private readonly subscriptions: Array<[string, (message: unknown) => void]> = [];

  on(event: 'request', listener: (event: OutboundRequestEvent) => void): this;
  on(event: 'response', listener: (event: OutboundResponseEvent) => void): this;
  on(event: keyof TrafficListeners, listener: (event: never) => void): this {
    (this.listeners[event] as Set<(event: never) => void>).add(listener);
    return this;
  }

  removeListener(event: 'request', listener: (event: OutboundRequestEvent) => void): this;
  removeListener(event: 'response', listener: (event: OutboundResponseEvent) => void): this;
  removeListener(event: keyof TrafficListeners, listener: (event: never) => void): this {
    (this.listeners[event] as Set<(event: never) => void>).delete(listener);
    return this;
  }

  apply(): void {
    this.subscribe('undici:request:create', ({ request }: { request: UndiciRequest }) => {
      // tracetape's own calls (an OTLP export, a ClickHouse insert) are never captured: not even copied.
      if (undiciHeaders(request.headers).some(([name]) => name.toLowerCase() === INTERNAL_REQUEST_HEADER)) return;
      this.calls.set(request, this.newCall());
    });
    this.subscribe('undici:request:bodyChunkSent', ({ request, chunk }: { request: UndiciRequest; chunk: unknown }) => {
      const bytes = chunkBytes(chunk);
      if (bytes) this.calls.get(request)?.sent.push(bytes);
    });
    this.subscribe('undici:request:bodySent', ({ request }: { request: UndiciRequest }) => this.undiciRequestDone(request));
    this.subscribe('undici:request:headers', ({ request, response }: { request: UndiciRequest; response: UndiciResponse }) => {
      const call = this.undiciRequestDone(request);
      if (call) this.emitResponse(call, response.statusCode, response.statusText, pairs(response.headers));
    });
    this.subscribe('undici:request:bodyChunkReceived', ({ request, chunk }: { request: UndiciRequest; chunk: unknown }) => {
      const body = this.calls.get(request)?.body;
      const bytes = body ? chunkBytes(chunk) : undefined;
      if (body && bytes) body.enqueue(bytes);
    });
    this.subscribe('undici:request:trailers', ({ request }: { request: UndiciRequest }) => this.finish(request));
    this.subscribe('undici:request:error', ({ request, error }: { request: UndiciRequest; error: unknown }) => {
      const call = this.calls.get(request);
      const bodyNeverSent = call && !call.requestEmitted && call.sent.length === 0 && request.body != null && request.method !== 'GET' && request.method !== 'HEAD';
      // A connection that failed before the body went out: no channel carried the body, and a
      // request recorded without it would hash differently at replay. Not recorded at all instead.
      if (bodyNeverSent) call.requestEmitted = true;
      else this.undiciRequestDone(request);
      this.finish(request, error);
    });

    // Created, not started: the app may write the body before a socket is assigned.
    this.subscribe('http.client.request.created', ({ request }: { request: ClientRequest }) => this.watchClientRequest(request));
    this.subscribe('http.client.response.finish', ({ request, response }: { request: ClientRequest; response: IncomingMessage }) => {
      const call = this.clientRequestDone(request);
      if (call) this.watchIncomingMessage(request, response, call);
    });
    this.subscribe('http.client.request.error', ({ request, error }: { request: ClientRequest; error: unknown }) => {
      this.clientRequestDone(request);
      this.finish(request, error);
    });
  }

  dispose(): void {
    for (const [name, handler] of this.subscriptions.splice(0)) dc.unsubscribe(name, handler);
  }

  private subscribe<M>(name: string, handler: (message: M) => void): void {
    const guarded = (message: unknown): void => {
      try {
        handler(message as M);
      } catch {
        // A channel subscriber runs inside the app's call: whatever capture cannot read, the app never notices.
      }
    };
    dc.subscribe(name, guarded);
    this.subscriptions.push([name, guarded]);
  }

  private newCall(): Call {
    return { id: `channel-${++this.nextId}`, sent: [], requestEmitted: false };
  }

  private undiciRequestDone(request: UndiciRequest): Call | undefined {
    const call = this.calls.get(request);
    if (!call || call.requestEmitted) return call;
    const url = new URL(request.path, String(request.origin)).href;
    this.emitRequest(call, request.method, url, undiciHeaders(request.headers));
    return call;
  }

  private watchClientRequest(request: ClientRequest): void {
    if (request.hasHeader(INTERNAL_REQUEST_HEADER)) return;
    const call = this.newCall();
    this.calls.set(request, call);
    const { write, end } = request;
    request.write = function (this: ClientRequest, chunk: unknown, ...rest: unknown[]) {
      if (!call.requestEmitted) {
        const bytes = chunkBytes(chunk, rest[0]);
        if (bytes) call.sent.push(bytes);
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ClientRequest['write'];
    const traffic = this;
    request.end = function (this: ClientRequest, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== 'function' && !call.requestEmitted) {
        const bytes = chunkBytes(chunk, rest[0]);
        if (bytes) call.sent.push(bytes);
      }
      const result = (end as (...args: unknown[]) => ClientRequest).call(this, chunk, ...rest);
      try {
        traffic.clientRequestDone(this);
      } catch {
        // Capture's failure is never the app's: its request has gone out already.
      }
      return result;
    } as ClientRequest['end'];
  }

  private clientRequestDone(request: ClientRequest): Call | undefined {
    const call = this.calls.get(request);
    if (!call || call.requestEmitted) return call;
    const host = request.getHeader('host') ?? request.host;
    const url = `${request.protocol}//${String(host)}${request.path}`;
    this.emitRequest(call, request.method, url, clientRequestHeaders(request));
    return call;
  }

  private watchIncomingMessage(request: ClientRequest, response: IncomingMessage, call: Call): void {
    this.emitResponse(call, response.statusCode ?? 0, response.statusMessage ?? '', pairs(response.rawHeaders));
    const { push } = response;
    const finish = (error?: unknown): void => this.finish(request, error);
    response.push = function (this: IncomingMessage, chunk: unknown, ...rest: unknown[]) {
      try {
        if (chunk === null) finish();
        else if (call.body) {
          const bytes = chunkBytes(chunk, rest[0]);
          if (bytes) call.body.enqueue(bytes);
        }
      } catch {
        // The copy is capture's; the app's stream goes on whatever happens to it.
      }
      return (push as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as IncomingMessage['push'];
    response.once('aborted', () => finish(new Error('the response was aborted')));
  }

  private emitRequest(call: Call, method: string, url: string, headers: Array<[string, string]>): void {
    call.requestEmitted = true;
    const body = call.sent.length > 0 && method !== 'GET' && method !== 'HEAD' ? Buffer.concat(call.sent) : null;
    call.sent = [];
    const request = new Request(url, { method, headers, body });
    for (const listener of this.listeners.request) listener({ request, requestId: call.id });
  }

  private emitResponse(call: Call, status: number, statusText: string, headers: Array<[string, string]>): void {
    // Interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status < 200 || status > 599) return;
    let body: ReadableStream<Uint8Array> | null = null;
    if (!NULL_BODY_STATUSES.has(status)) {
      body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          call.body = controller;
        },
        // The listener stopped reading (a body over the size limit): later chunks are not copied.
        cancel: () => {
          call.body = undefined;
        },
      });
    }
    const response = new Response(body, { status, statusText, headers });
    for (const listener of this.listeners.response) listener({ response, requestId: call.id });
  }

  private finish(target: object, error?: unknown): void {
    const call = this.calls.get(target);
    if (!call) return;
    this.calls.delete(target);
    const body = call.body;
    call.body = undefined;
    if (!body) return;
    if (error === undefined) body.close();
    else body.error(error instanceof Error ? error : new Error(String(error)));
  }
}
