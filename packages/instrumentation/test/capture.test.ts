import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { context, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_RESPONSE,
  decodeBody,
  inputHash,
  INTERNAL_REQUEST_HEADER,
  normalizeRequest,
  REDACTED,
  type CapturedRequest,
  type RecordedResponse,
} from '@tracetape/core';
import { CaptureSession, channelCaptureAvailable, TRACER_NAME, type CaptureSource } from '@tracetape/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpRequest, readBody, signal, startServer, type TestServer } from './helpers.js';

const MAX_BODY_BYTES = 64 * 1024;
const SSE_EVENTS = ['data: {"delta":"Hel"}\n\n', 'data: {"delta":"lo"}\n\n', 'data: {"delta":"!"}\n\n', 'data: [DONE]\n\n'];
const BINARY = randomBytes(4096);
const BIG = Buffer.alloc(MAX_BODY_BYTES * 3, 'abcdefgh');

/** Shut down with its provider; each session gets a fresh one. */
let exporter = new InMemorySpanExporter();
let session: CaptureSession;
let provider: TracerProvider;
let server: TestServer;
const propagator = new W3CTraceContextPropagator();

/** SSE: the server sends event i+1 only once the client has asked for it, after reading event i. */
let sseSent = 0;
let releaseNext: Array<() => void> = [];

beforeAll(async () => {
  server = await startServer(async (req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === '/json') {
      const body = await readBody(req);
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'sid=server-secret', 'x-served-by': 'loopback' });
      res.end(JSON.stringify({ ok: true, echoedBytes: body.byteLength }));
    } else if (path === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      for (const [i, event] of SSE_EVENTS.entries()) {
        if (i > 0) {
          const released = signal();
          releaseNext.push(released.resolve);
          await released.promise;
        }
        res.write(event);
        sseSent++;
      }
      res.end();
    } else if (path === '/release') {
      releaseNext.shift()?.();
      res.end('released');
    } else if (path === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ compressed: 'yes'.repeat(100) })));
    } else if (path === '/binary') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(BINARY);
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(BIG);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});

afterAll(async () => {
  await server?.close();
});

/** Each source must record the same call identically: replay matches what either recorded. */
const SOURCES: CaptureSource[] = channelCaptureAvailable() ? ['interceptor', 'channels'] : ['interceptor'];

function startSession(source: CaptureSource): void {
  exporter = new InMemorySpanExporter();
  session = new CaptureSession({ maxBodyBytes: MAX_BODY_BYTES, source });
  provider = new TracerProvider({ spanProcessors: [session.spanProcessor(new SimpleSpanProcessor({ exporter }))] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

async function stopSession(): Promise<void> {
  session?.dispose();
  await provider?.shutdown();
  trace.disable();
  context.disable();
}

beforeEach(() => exporter.reset());

const tracer = () => provider.getTracer('capture-test');

/** A client span of our own, with the traceparent header that puts the capture on it. */
function clientSpan(name: string) {
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT });
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
  expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  return { span, headers };
}

async function exported(span: { spanContext(): { spanId: string } }): Promise<ReadableSpan> {
  await provider.forceFlush();
  const found = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === span.spanContext().spanId);
  expect(found, 'span was exported').toBeDefined();
  return found!;
}

function captured(span: ReadableSpan): { hash: string; request: CapturedRequest; response: RecordedResponse } {
  expect(span.attributes[ATTR_TRACETAPE_KIND]).toBe('http');
  return {
    hash: span.attributes[ATTR_TRACETAPE_INPUT_HASH] as string,
    request: JSON.parse(span.attributes[ATTR_TRACETAPE_REQUEST] as string) as CapturedRequest,
    response: JSON.parse(span.attributes[ATTR_TRACETAPE_RESPONSE] as string) as RecordedResponse,
  };
}

/** Spans carrying a capture of a call to this URL. */
function capturesOf(url: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => {
    const request = s.attributes[ATTR_TRACETAPE_REQUEST];
    return typeof request === 'string' && (JSON.parse(request) as CapturedRequest).normalized.url === url;
  });
}

const text = (body: RecordedResponse['body']) => Buffer.from(decodeBody(body!)).toString('utf8');

describe.each(SOURCES)('CaptureSession reading outbound calls from the %s', (source) => {
  beforeAll(() => startSession(source));
  afterAll(stopSession);

  it('puts the hash, redacted request and response on the span named by traceparent', async () => {
    const { span, headers } = clientSpan('POST /json');
    const url = `${server.url}/json?b=2&a=1`;
    const sent = {
      ...headers,
      authorization: 'Bearer sk-live-123',
      'content-type': 'application/json',
      'x-request-id': 'req-1',
    };
    const res = await fetch(url, { method: 'POST', headers: sent, body: '{"b": 2, "a": [1, 2]}' });
    expect(await res.json()).toEqual({ ok: true, echoedBytes: 21 });
    span.end();

    const finished = await exported(span);
    const { hash, request, response } = captured(finished);

    // The hash is exactly what playback will compute for the same call.
    const expected = normalizeRequest({ method: 'POST', url, headers: Object.entries(sent), body: Buffer.from('{"b": 2, "a": [1, 2]}') });
    expect(request.normalized).toEqual(expected);
    expect(hash).toBe(inputHash(expected));
    expect(request.normalized.url).toBe(`${server.url}/json?a=1&b=2`);
    expect(request.normalized.headers).toEqual({ 'content-type': 'application/json' });
    expect(request.normalized.body?.data).toBe('{"a":[1,2],"b":2}');

    const sentHeaders = new Map(request.headers);
    expect(sentHeaders.get('authorization')).toBe(REDACTED);
    expect(sentHeaders.get('x-request-id')).toBe('req-1');
    expect(sentHeaders.get('traceparent')).toBe(headers.traceparent);

    expect(response).toMatchObject({ status: 200, complete: true });
    const receivedHeaders = new Map(response.headers);
    expect(receivedHeaders.get('content-type')).toBe('application/json');
    expect(receivedHeaders.get('x-served-by')).toBe('loopback');
    expect(receivedHeaders.get('set-cookie')).toBe(REDACTED);
    expect(JSON.parse(text(response.body))).toEqual({ ok: true, echoedBytes: 21 });

    // Secrets never reach the span.
    expect(JSON.stringify(finished.attributes)).not.toContain('sk-live-123');
    expect(JSON.stringify(finished.attributes)).not.toContain('server-secret');
    // The call was recorded once, on our span: no span of tracetape's own was added.
    expect(capturesOf(request.normalized.url)).toEqual([finished]);
  });

  it('records a call made outside any span on a client span of its own', async () => {
    const url = `${server.url}/json?fallback=1`;
    const res = await fetch(url);
    expect((await res.json()).ok).toBe(true);

    const [own] = await vi.waitFor(() => {
      const found = capturesOf(url);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(own!.instrumentationScope.name).toBe(TRACER_NAME);
    expect(own!.kind).toBe(SpanKind.CLIENT);
    expect(own!.name).toBe('GET');
    expect(own!.attributes['http.response.status_code']).toBe(200);
    const { request, response } = captured(own!);
    expect(request.normalized.method).toBe('GET');
    expect(response).toMatchObject({ status: 200, complete: true });
  });

  it('records a call made through node:http inside an active span on that span', async () => {
    const span = tracer().startSpan('parent');
    const res = await context.with(trace.setSpan(context.active(), span), () => httpRequest(`${server.url}/json?via=http`));
    expect(res.status).toBe(200);
    span.end();
    const { response } = captured(await exported(span));
    expect(JSON.parse(text(response.body))).toEqual({ ok: true, echoedBytes: 0 });
  });

  it('records a node:http POST written in pieces with its whole body, hashed as replay will', async () => {
    const { span, headers } = clientSpan('POST /json via http');
    const url = `${server.url}/json?via=http-post`;
    const body = '{"question": "ünïcode", "n": 1}';
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } }, (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode!));
      });
      req.on('error', reject);
      // Written before any socket is assigned, in three pieces, the last through end().
      req.write(body.slice(0, 5));
      req.write(Buffer.from(body.slice(5, 20)));
      req.end(body.slice(20));
    });
    expect(res).toBe(200);
    span.end();
    const { hash, request, response } = captured(await exported(span));
    const expected = normalizeRequest({ method: 'POST', url, headers: [['content-type', 'application/json']], body: Buffer.from(body) });
    expect(request.normalized).toEqual(expected);
    expect(hash).toBe(inputHash(expected));
    expect(JSON.parse(text(response.body))).toEqual({ ok: true, echoedBytes: Buffer.byteLength(body) });
  });

  it('records a streamed SSE response as timed chunks without holding the stream back', async () => {
    sseSent = 0;
    const { span, headers } = clientSpan('GET /sse');
    const res = await fetch(`${server.url}/sse`, { headers });
    const reader = res.body!.getReader();
    const received: string[] = [];
    const sentWhenReceived: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(Buffer.from(value).toString());
      sentWhenReceived.push(sseSent);
      // Only now may the server send the next event: if capture held the stream, this would never be reached.
      await fetch(`${server.url}/release`, { headers: { [INTERNAL_REQUEST_HEADER]: '1' } }).then((r) => r.text());
    }
    span.end();

    expect(received.join('')).toBe(SSE_EVENTS.join(''));
    // The app had the first event while the server had sent only that one (the last was still to come).
    expect(sentWhenReceived[0]).toBe(1);
    expect(sseSent).toBe(SSE_EVENTS.length);

    const { response } = captured(await exported(span));
    expect(response.complete).toBe(true);
    expect(response.body).toBeUndefined();
    const chunks = response.chunks!;
    expect(chunks.length).toBeGreaterThanOrEqual(SSE_EVENTS.length);
    expect(chunks.map((c) => text(c.body)).join('')).toBe(SSE_EVENTS.join(''));
    expect(chunks.map((c) => text(c.body))).toEqual(SSE_EVENTS);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.offsetMs).toBeGreaterThan(chunks[i - 1]!.offsetMs);
    expect(chunks[0]!.offsetMs).toBeGreaterThanOrEqual(0);
  });

  it('stores a gzip response decoded, with its content-encoding', async () => {
    const { span, headers } = clientSpan('GET /gzip');
    const res = await fetch(`${server.url}/gzip`, { headers });
    const appSaw = await res.json();
    span.end();
    const { response } = captured(await exported(span));
    expect(response.contentEncoding).toBe('gzip');
    expect(response.bodyStillEncoded).toBeUndefined();
    expect(response.body!.encoding).toBe('utf8');
    expect(JSON.parse(text(response.body))).toEqual(appSaw);
    expect(appSaw).toEqual({ compressed: 'yes'.repeat(100) });
  });

  it('stores a binary response as base64, byte for byte', async () => {
    const { span, headers } = clientSpan('GET /binary');
    const res = await fetch(`${server.url}/binary`, { headers });
    expect(Buffer.from(await res.arrayBuffer()).equals(BINARY)).toBe(true);
    span.end();
    const { response } = captured(await exported(span));
    expect(response.body!.encoding).toBe('base64');
    expect(response.body!.size).toBe(BINARY.byteLength);
    expect(Buffer.from(decodeBody(response.body!)).equals(BINARY)).toBe(true);
  });

  it('marks a body over maxBodyBytes truncated, while the app still gets all of it', async () => {
    const { span, headers } = clientSpan('GET /big');
    const res = await fetch(`${server.url}/big`, { headers });
    const appBody = Buffer.from(await res.arrayBuffer());
    expect(appBody.equals(BIG)).toBe(true);
    span.end();
    const { response } = captured(await exported(span));
    expect(response.truncated).toBe(true);
    expect(response.complete).toBe(false);
    expect(response.body!.size).toBe(MAX_BODY_BYTES);
    expect(Buffer.from(decodeBody(response.body!)).equals(BIG.subarray(0, MAX_BODY_BYTES))).toBe(true);
  });

  it('does not capture requests marked x-tracetape-internal', async () => {
    const { span, headers } = clientSpan('internal');
    const url = `${server.url}/json?internal=1`;
    const res = await fetch(url, { headers: { ...headers, [INTERNAL_REQUEST_HEADER]: '1' } });
    expect((await res.json()).ok).toBe(true);
    // Also one outside any span, which would otherwise get a span of its own.
    expect((await (await fetch(url, { headers: { [INTERNAL_REQUEST_HEADER]: '1' } })).json()).ok).toBe(true);
    span.end();
    const finished = await exported(span);
    expect(finished.attributes[ATTR_TRACETAPE_KIND]).toBeUndefined();
    expect(finished.attributes[ATTR_TRACETAPE_REQUEST]).toBeUndefined();
    // A captured call made right after is exported; the internal ones never are.
    await fetch(`${server.url}/json?after=1`).then((r) => r.text());
    await vi.waitFor(() => expect(capturesOf(`${server.url}/json?after=1`)).toHaveLength(1));
    expect(capturesOf(url)).toEqual([]);
  });

  it("does not capture an OpenTelemetry exporter's own calls, made with tracing suppressed", async () => {
    const url = `${server.url}/json?exporter=1`;
    // As a BatchSpanProcessor exports, by fetch and by node:http, in a context that still holds a
    // span (a process run's): the calls must not land on it.
    const run = tracer().startSpan('run');
    await context.with(suppressTracing(trace.setSpan(context.active(), run)), async () => {
      await fetch(url, { method: 'POST', body: '{}' }).then((r) => r.text());
      expect((await httpRequest(url)).status).toBe(200);
    });
    await fetch(`${server.url}/json?after=3`).then((r) => r.text());
    await vi.waitFor(() => expect(capturesOf(`${server.url}/json?after=3`)).toHaveLength(1));
    run.end();
    expect((await exported(run)).attributes[ATTR_TRACETAPE_KIND]).toBeUndefined();
    expect(capturesOf(url)).toEqual([]);
  });

  it('does not capture a call whose traceparent says it is not sampled', async () => {
    const url = `${server.url}/json?unsampled=1`;
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-0${TraceFlags.NONE}`;
    await fetch(url, { headers: { traceparent } }).then((r) => r.text());
    await fetch(`${server.url}/json?after=2`).then((r) => r.text());
    await vi.waitFor(() => expect(capturesOf(`${server.url}/json?after=2`)).toHaveLength(1));
    expect(capturesOf(url)).toEqual([]);
  });
});

/** A loopback port nothing listens on: a connection to it is refused. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe.runIf(channelCaptureAvailable())('CaptureSession reading from the channels, where they see less', () => {
  beforeAll(() => startSession('channels'));
  afterAll(stopSession);

  it('leaves out a fetch whose connection failed before its body was sent, rather than record it without the body', async () => {
    const port = await closedPort();

    const { span, headers } = clientSpan('POST refused');
    const error = (await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers, body: '{"a":1}' }).catch((e: unknown) => e)) as Error & {
      cause?: { code?: string };
    };
    expect(error.cause?.code).toBe('ECONNREFUSED');
    span.end();
    const finished = await exported(span);
    expect(finished.attributes[ATTR_TRACETAPE_REQUEST]).toBeUndefined();
    expect(finished.attributes[ATTR_TRACETAPE_INPUT_HASH]).toBeUndefined();
  });

  it('records a GET whose connection was refused with its failure, and holds nothing of it once its span is saved', async () => {
    const port = await closedPort();

    const { span, headers } = clientSpan('GET refused');
    const error = (await fetch(`http://127.0.0.1:${port}/x`, { headers }).catch((e: unknown) => e)) as Error & { cause?: { code?: string } };
    expect(error.cause?.code).toBe('ECONNREFUSED');
    span.end();
    const { request, response } = captured(await exported(span));
    expect(request.normalized.method).toBe('GET');
    expect(response.status).toBe(0);
    // No response will ever come for it: a long-running app must not keep one entry per such call.
    expect(session.heldCaptures()).toEqual({ requests: 0, spans: 0 });
  });
});

describe('CaptureSession, where calls are read by default', () => {
  it('reads from the diagnostics channels where Node publishes body chunks, else from the interceptor', () => {
    const session = new CaptureSession();
    try {
      // Only the channel source listens for undici's body chunks.
      expect(diagnosticsChannel.hasSubscribers('undici:request:bodyChunkSent')).toBe(channelCaptureAvailable());
    } finally {
      session.dispose();
    }
    expect(diagnosticsChannel.hasSubscribers('undici:request:bodyChunkSent')).toBe(false);
  });
});
