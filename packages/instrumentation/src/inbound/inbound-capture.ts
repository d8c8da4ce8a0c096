import { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import {
  ATTR_TRACETAPE_CAPTURE_ERROR,
  ATTR_TRACETAPE_FORMAT,
  ATTR_TRACETAPE_INBOUND_REQUEST,
  ATTR_TRACETAPE_INBOUND_RESPONSE,
  encodeBody,
  INTERNAL_REQUEST_HEADER,
  httpKeyRules,
  Redactor,
  requestKey,
  spanFormatOf,
  type InboundRequest,
  type NormalizedRequest,
  type RawRequest,
  type RequestKeyRules,
  type RecordedResponse,
  unansweredResponse,
  type UnansweredCall,
} from '@tracetape/core';
import { endUnansweredSpan } from '../capture/end-unanswered-span.js';
import { parseContentEncoding } from '../http/content-encoding.js';
import { BodyTap, chunkBytes } from './inbound-body-tap.js';
import { isStreamingContentType } from '../http/response-recorder.js';
import type { CaptureOptions } from '../types.js';
import { sharedMethodWrap } from '../shared-method-wrap.js';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * The HttpInstrumentation hooks that record a server span's inbound exchange. Their shapes are
 * the instrumentation's own (`requestHook`, `responseHook`, `applyCustomAttributesOnSpan`), which
 * it calls for client spans too; those are left alone.
 */
export interface HttpServerHooks {
  requestHook(span: Span, request: ClientRequest | IncomingMessage): void;
  responseHook(span: Span, response: IncomingMessage | ServerResponse): void;
  applyCustomAttributesOnSpan(
    span: Span,
    request: ClientRequest | IncomingMessage,
    response: IncomingMessage | ServerResponse,
  ): void;
}

/** One inbound exchange being observed: copies of what the handler read and what it wrote. */
interface Exchange {
  request: IncomingMessage;
  requestBody: BodyTap;
  responseBody: BodyTap;
  /** Headers passed to writeHead(): when no setHeader() came first, getHeaders() never sees them. */
  writeHeadHeaders: Array<[string, string]>;
  /** The response, once the instrumentation hands it over: its headers sent, the app is answering. */
  response?: ServerResponse;
  /**
   * A HEAD request's response, whose body Node drops: there is none to record. Read with the
   * request, as Node decides it when it makes the response: an app that rewrites `req.method` later
   * does not change what goes out.
   */
  bodyless: boolean;
}

/** Above this many open server spans, those already ended (a request whose socket closed) are let go. */
const OPEN_PRUNE_AT = 1024;

/**
 * Capture mode for inbound HTTP: the request a server span answers (body as the handler read it)
 * and the response it sent (as written), put on the server span when the response is done. The
 * request stream is observed through its 'data' events, which every way of reading it emits, so
 * nothing is read that the app would not read itself, and nothing the app writes waits.
 */
export class InboundCapture {
  private readonly exchanges = new WeakMap<Span, Exchange>();
  /** Server spans whose exchange is not finished: what endUnanswered() looks at when the process ends. */
  private readonly open = new Set<Span>();
  private pruneOpenAt = OPEN_PRUNE_AT;
  private readonly redactor: Redactor;
  private readonly keyRules: RequestKeyRules<RawRequest, RawRequest, NormalizedRequest>;
  private readonly maxBodyBytes: number;

  constructor(options: CaptureOptions = {}) {
    this.redactor = new Redactor(options.redaction);
    this.keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  hooks(): HttpServerHooks {
    return {
      requestHook: (span, request) => {
        if (request instanceof IncomingMessage) this.observeRequest(span, request);
      },
      responseHook: (span, response) => {
        if (response instanceof ServerResponse) this.observeResponse(span, response);
      },
      applyCustomAttributesOnSpan: (span, _request, response) => {
        if (response instanceof ServerResponse) this.finish(span, response);
      },
    };
  }

  private observeRequest(span: Span, request: IncomingMessage): void {
    if (request.headers[INTERNAL_REQUEST_HEADER] !== undefined) return;
    const exchange: Exchange = {
      request,
      requestBody: new BodyTap(this.maxBodyBytes),
      responseBody: new BodyTap(this.maxBodyBytes),
      writeHeadHeaders: [],
      bodyless: request.method === 'HEAD',
    };
    this.exchanges.set(span, exchange);
    this.keepOpen(span);
    tappingEmit.install(request, exchange.requestBody);
  }

  private observeResponse(span: Span, response: ServerResponse): void {
    const exchange = this.exchanges.get(span);
    if (!exchange) return;
    exchange.response = response;
    recordingWriteHead.install(response, exchange);
    recordingWrite.install(response, exchange);
    recordingEnd.install(response, exchange);
  }

  /**
   * The process is ending: a request the app had not begun to answer, read whole, while a call of
   * its own trace waited too (`waitingTraces`: what it waited on) is recorded as unanswered (its
   * server span ended now, in error), so that its trace keeps its inbound exchange and a replay
   * sends the request and, that call left unanswered, gets no answer either. Any other request
   * in flight is left as it stands (a handler waiting on a timer would answer in a replay).
   */
  endUnanswered(unanswered: UnansweredCall, waitingTraces: ReadonlySet<string>): void {
    for (const span of [...this.open]) {
      const exchange = this.exchanges.get(span);
      if (!exchange || exchange.response?.headersSent || !exchange.requestBody.ended || !span.isRecording()) continue;
      if (!waitingTraces.has(span.spanContext().traceId)) continue;
      this.exchanges.delete(span);
      this.open.delete(span);
      this.record(span, exchange, () => unansweredResponse(unanswered));
      endUnansweredSpan(span);
    }
  }

  private keepOpen(span: Span): void {
    this.open.add(span);
    if (this.open.size < this.pruneOpenAt) return;
    for (const known of this.open) if (!known.isRecording()) this.open.delete(known);
    // Amortised: the next pass comes once as many requests again are open (long polls, streams).
    this.pruneOpenAt = Math.max(OPEN_PRUNE_AT, 2 * this.open.size);
  }

  private finish(span: Span, response: ServerResponse): void {
    const exchange = this.exchanges.get(span);
    if (!exchange) return;
    this.exchanges.delete(span);
    this.open.delete(span);
    this.record(span, exchange, () => this.recordedResponse(exchange, response));
  }

  private record(span: Span, exchange: Exchange, response: () => RecordedResponse): void {
    try {
      const recorded = response();
      span.setAttributes({
        [ATTR_TRACETAPE_INBOUND_REQUEST]: JSON.stringify(this.inboundRequest(exchange)),
        [ATTR_TRACETAPE_INBOUND_RESPONSE]: JSON.stringify(recorded),
        [ATTR_TRACETAPE_FORMAT]: spanFormatOf(recorded),
      });
    } catch (error) {
      // An unparseable request target, say: the exchange is not replayable, the app is unaffected.
      span.setAttribute(ATTR_TRACETAPE_CAPTURE_ERROR, `inbound exchange not captured: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private inboundRequest({ request, requestBody }: Exchange): InboundRequest {
    const headers = pairs(request.rawHeaders);
    const target = request.url ?? '/';
    const scheme = (request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const host = request.headers.host ?? `${request.socket.localAddress ?? 'localhost'}:${request.socket.localPort ?? ''}`;
    // Redacted before normalising and storing: what is replayed into the app carries placeholders.
    const { redacted, normalized } = requestKey(
      { method: request.method ?? 'GET', url: `${scheme}://${host}${target}`, headers, body: requestBody.bytes() },
      this.redactor,
      this.keyRules,
    );
    const bytes = redacted.body ?? new Uint8Array();
    const captured: InboundRequest = {
      normalized,
      headers: [...redacted.headers],
      target: this.redactor.url(target),
      complete: requestBody.ended && !requestBody.truncated,
    };
    if (bytes.byteLength > 0) captured.body = encodeBody(bytes, redacted.bodyText);
    if (requestBody.truncated) captured.truncated = true;
    return captured;
  }

  private recordedResponse({ responseBody, writeHeadHeaders }: Exchange, response: ServerResponse): RecordedResponse {
    const headers: Array<[string, string]> = [];
    const seen = new Set<string>();
    // Declared for ClientRequest only, but every OutgoingMessage has it (Node 15.13+): names in the case the app set them.
    const names = (response as ServerResponse & { getRawHeaderNames(): string[] }).getRawHeaderNames();
    for (const name of names) {
      seen.add(name.toLowerCase());
      for (const value of headerValues(response.getHeader(name))) headers.push([name, value]);
    }
    for (const [name, value] of writeHeadHeaders) if (!seen.has(name.toLowerCase())) headers.push([name, value]);

    const header = (wanted: string) => headers.find(([name]) => name.toLowerCase() === wanted)?.[1] ?? null;
    const codings = parseContentEncoding(header('content-encoding'));
    const recorded: RecordedResponse = {
      status: response.statusCode,
      statusText: response.statusMessage ?? '',
      headers: this.redactor.headers(headers),
      complete: response.writableFinished && !responseBody.truncated,
      ...this.redactedBody(responseBody.responseBody(codings, isStreamingContentType(header('content-type'))), header('content-type')),
    };
    if (codings.length > 0) recorded.contentEncoding = codings.join(', ');
    if (responseBody.truncated) recorded.truncated = true;
    return recorded;
  }

  private redactedBody(
    recorded: Pick<RecordedResponse, 'body' | 'chunks' | 'bodyStillEncoded'>,
    contentType: string | null,
  ): Pick<RecordedResponse, 'body' | 'chunks' | 'bodyStillEncoded'> {
    const type = contentType ?? undefined;
    // Still-encoded bytes are compressed: a pattern could only corrupt them.
    if (recorded.bodyStillEncoded) return recorded;
    const out = { ...recorded };
    if (out.body) out.body = this.redactor.encodedBody(out.body, type);
    if (out.chunks) out.chunks = out.chunks.map((chunk) => ({ ...chunk, body: this.redactor.encodedBody(chunk.body, type) }));
    return out;
  }
}

/** `rawHeaders` ([name, value, name, value…]) as pairs, original case and order kept. */
function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function headerValues(value: string | number | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** The headers argument of writeHead(status, [message], [headers]): an object, pairs or a flat list. */
function headersOfWriteHead(args: readonly unknown[]): Array<[string, string]> {
  const headers = typeof args[1] === 'string' ? args[2] : args[1];
  if (Array.isArray(headers)) {
    if (headers.every((item) => Array.isArray(item))) {
      return (headers as unknown[][]).map(([name, value]) => [String(name), String(value)]);
    }
    return pairs(headers.map(String));
  }
  if (headers === null || typeof headers !== 'object') return [];
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers as Record<string, string | number | string[] | undefined>)) {
    for (const item of headerValues(value)) out.push([name, item]);
  }
  return out;
}

// The request body as the app reads it: its 'data' events, whatever reads them.
const tappingEmit = sharedMethodWrap<IncomingMessage, BodyTap>('emit', {
  before: (request, tap, [event, chunk]) => {
    if (event === 'data') tap.add(chunkBytes(chunk, request.readableEncoding));
    else if (event === 'end') tap.ended = true;
  },
});

const recordingWriteHead = sharedMethodWrap<ServerResponse, Exchange>('writeHead', {
  before: (_response, exchange, args) => {
    exchange.writeHeadHeaders.push(...headersOfWriteHead(args));
    exchange.responseBody.markStart();
  },
});

const recordingWrite = sharedMethodWrap<ServerResponse, Exchange>('write', {
  before: (_response, exchange, [chunk, encoding]) => {
    if (!exchange.bodyless) exchange.responseBody.add(chunkBytes(chunk, encoding));
  },
});

const recordingEnd = sharedMethodWrap<ServerResponse, Exchange>('end', {
  before: (_response, exchange, [chunk, encoding]) => {
    if (!exchange.bodyless && typeof chunk !== 'function') exchange.responseBody.add(chunkBytes(chunk, encoding));
    exchange.responseBody.ended = true;
  },
});
