import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';
import { hasInternalHeader } from './internal-traffic.js';
import type { OutboundCallListener, OutboundTraffic, ResponseBodySink } from './outbound-traffic.js';
import { sharedMethodWrap } from '../shared-method-wrap.js';

// The shapes undici publishes (Node's bundled undici 7.x); only what is read here.
interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  headers: string[] | string;
  /** The body's source; for fetch an async iterator, so not something to read here. */
  body?: unknown;
  /** The protocol asked for (`websocket` for the global WebSocket's handshake): undici sends it as the Upgrade header. */
  upgrade?: string | null;
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
  /** Where the response body's copies go, while a listener wants them. */
  sinks?: ResponseBodySink[];
}

/** Statuses a Response may not carry a body for. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Node 24.4 and later: undici publishes the body chunks it sends and receives. */
export function channelCaptureAvailable(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 4);
}

/** A copy of a chunk: the app may reuse its buffer once the write returns. */
function chunkBytes(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.copyBytesFrom(chunk);
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

/** What the shared wrappers of one node:http request need: its call, and the traffic it reports to. */
interface RequestWatch {
  call: Call;
  traffic: ChannelTraffic;
}

interface ResponseWatch extends RequestWatch {
  request: ClientRequest;
}

/**
 * Outbound HTTP as Node's diagnostics channels publish it: undici's request and body-chunk
 * channels (fetch), and node:http's client request and response channels, whose bodies are
 * copied by wrapping that request's write/end and that response's push. Nothing re-parses the
 * traffic, which is what the socket-level interceptor costs (BENCHMARKS.md, capture layers), and
 * listeners get plain values and each body chunk as it passes, with no web objects in between.
 * Capture only: replay must answer requests, which takes the interceptor.
 */
export class ChannelTraffic implements OutboundTraffic {
  private readonly listeners = new Set<OutboundCallListener>();
  private readonly calls = new WeakMap<object, Call>();
  private nextId = 0;
  private readonly subscriptions: Array<[string, (message: unknown) => void]> = [];

  listen(listener: OutboundCallListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  apply(): void {
    this.subscribe('undici:request:create', ({ request }: { request: UndiciRequest }) => {
      // tracetape's own calls (an OTLP export, a ClickHouse insert) are never captured: not even copied.
      if (hasInternalHeader(undiciHeaders(request.headers))) return;
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
      const call = this.calls.get(request);
      if (call?.sinks) this.copyReceived(call, chunk);
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
    const headers = undiciHeaders(request.headers);
    if (typeof request.upgrade === 'string') headers.push(['upgrade', request.upgrade]);
    this.emitRequest(call, request.method, url, headers);
    return call;
  }

  // One wrapper each for every request and response (shared-method-wrap.ts says why): the
  // request's body chunks copied as the app writes them, since it may reuse its buffers after, and
  // the response's as the parser pushes them into the app's stream, where null is its end.
  private static readonly copyingWrite = sharedMethodWrap<ClientRequest, RequestWatch>('write', {
    before: (_request, { call }, [chunk, encoding]) => {
      if (call.requestEmitted) return;
      const bytes = chunkBytes(chunk, encoding);
      if (bytes) call.sent.push(bytes);
    },
  });

  private static readonly copyingEnd = sharedMethodWrap<ClientRequest, RequestWatch>('end', {
    before: (_request, { call }, [chunk, encoding]) => {
      if (typeof chunk === 'function' || call.requestEmitted) return;
      const bytes = chunkBytes(chunk, encoding);
      if (bytes) call.sent.push(bytes);
    },
    after: (request, { traffic }) => void traffic.clientRequestDone(request),
  });

  private static readonly copyingPush = sharedMethodWrap<IncomingMessage, ResponseWatch>('push', {
    before: (_response, { call, traffic, request }, [chunk, encoding]) => {
      if (chunk === null) traffic.finish(request);
      else if (call.sinks) traffic.copyReceived(call, chunk, encoding);
    },
  });

  private watchClientRequest(request: ClientRequest): void {
    if (request.hasHeader(INTERNAL_REQUEST_HEADER)) return;
    const watch: RequestWatch = { call: this.newCall(), traffic: this };
    this.calls.set(request, watch.call);
    ChannelTraffic.copyingWrite.install(request, watch);
    ChannelTraffic.copyingEnd.install(request, watch);
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
    ChannelTraffic.copyingPush.install(response, { call, traffic: this, request });
    response.once('aborted', () => this.finish(request, new Error('the response was aborted')));
  }

  private emitRequest(call: Call, method: string, url: string, headers: Array<[string, string]>): void {
    call.requestEmitted = true;
    // The chunks are copies already: a body sent in one piece is handed on as it is.
    const sent = call.sent.length === 1 ? call.sent[0] : Buffer.concat(call.sent);
    const body = call.sent.length > 0 && method !== 'GET' && method !== 'HEAD' ? sent : undefined;
    call.sent = [];
    for (const listener of this.listeners) listener.request({ requestId: call.id, method, url, headers, body });
  }

  private emitResponse(call: Call, status: number, statusText: string, headers: Array<[string, string]>): void {
    // Interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status < 200 || status > 599) return;
    const sinks: ResponseBodySink[] = [];
    for (const listener of this.listeners) {
      const sink = listener.response({ requestId: call.id, status, statusText, headers });
      if (sink) sinks.push(sink);
    }
    if (sinks.length === 0) return;
    if (NULL_BODY_STATUSES.has(status)) {
      for (const sink of sinks) sink.end();
      return;
    }
    call.sinks = sinks;
  }

  private copyReceived(call: Call, chunk: unknown, encoding?: unknown): void {
    const sinks = call.sinks!;
    const bytes = chunkBytes(chunk, encoding);
    if (!bytes) return;
    let wanted = false;
    for (const sink of sinks) {
      if (!sink.wantsMore) continue;
      sink.write(bytes);
      wanted ||= sink.wantsMore;
    }
    // Every sink has what it wants (a body over the size limit): later chunks are not copied.
    if (!wanted) call.sinks = undefined;
  }

  private finish(target: object, error?: unknown): void {
    const call = this.calls.get(target);
    if (!call) return;
    this.calls.delete(target);
    const sinks = call.sinks;
    call.sinks = undefined;
    for (const sink of sinks ?? []) sink.end(error);
  }
}
