import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_INBOUND_REQUEST,
  ATTR_TRACETAPE_INBOUND_RESPONSE,
  decodeBody,
  INTERNAL_REQUEST_HEADER,
  REDACTED,
  type InboundRequest,
  type RecordedResponse,
} from '@tracetape/core';
import { InboundCapture, type HttpServerHooks } from '@tracetape/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareInboundResponse } from '../src/inbound/inbound-compare.js';
import { InboundMarker } from '../src/inbound/inbound-marker.js';
import { httpRequest, signal, startServer, type TestServer } from './helpers.js';

const MAX_BODY_BYTES = 1024;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const hooks: HttpServerHooks = new InboundCapture({ maxBodyBytes: MAX_BODY_BYTES }).hooks();
let handler: http.RequestListener = () => undefined;
let server: TestServer;
let ended = signal();

beforeAll(async () => {
  // What the HTTP instrumentation does around a server span, without the instrumentation.
  server = await startServer((req, res) => {
    const span = provider.getTracer('test').startSpan(`${req.method} server`);
    hooks.requestHook(span, req);
    hooks.responseHook(span, res);
    res.on('close', () => {
      hooks.applyCustomAttributesOnSpan(span, req, res);
      span.end();
      ended.resolve();
    });
    handler(req, res);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  exporter.reset();
  ended = signal();
});

function recorded(): { request: InboundRequest; response: RecordedResponse } {
  const span = exporter.getFinishedSpans().at(-1)!;
  return {
    request: JSON.parse(String(span.attributes[ATTR_TRACETAPE_INBOUND_REQUEST])) as InboundRequest,
    response: JSON.parse(String(span.attributes[ATTR_TRACETAPE_INBOUND_RESPONSE])) as RecordedResponse,
  };
}

/** The span ends on the response's 'close', which can come just after the client has its answer. */
async function spanEnded(): Promise<void> {
  await ended.promise;
  ended = signal();
}

describe('inbound capture', () => {
  it('records no body for a HEAD request, whose body Node drops, even when the app rewrites its method', async () => {
    handler = (req, res) => {
      // Method-override middleware: the app sees GET, Node still answers HEAD without a body.
      req.method = 'GET';
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
      res.end('hello there');
    };
    await httpRequest(`${server.url}/head`, { method: 'HEAD' });
    await spanEnded();
    const { response } = recorded();
    expect(response.status).toBe(200);
    expect(response.body).toBeUndefined();
  });

  it('redacts query secrets, body secrets and response secrets before they reach the span', async () => {
    const key = 'sk-proj-' + 'Q'.repeat(32);
    handler = async (req, res) => {
      for await (const _chunk of req) void _chunk;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issued: `ghp_${'R'.repeat(36)}` }));
    };
    await httpRequest(
      `${server.url}/hook?token=tok123&page=1`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      JSON.stringify({ note: `key ${key}` }),
    );
    await spanEnded();
    const { request, response } = recorded();
    const stored = JSON.stringify({ request, response });
    expect(stored).not.toContain('tok123');
    expect(stored).not.toContain('QQQQQQQQ');
    expect(stored).not.toContain('RRRRRRRR');
    expect(request.target).toBe(`/hook?token=${encodeURIComponent(REDACTED)}&page=1`);
    expect(response.body?.data).toBe(JSON.stringify({ issued: REDACTED }));
  });

  it('records the request as the handler read it and the response as written, redacted', async () => {
    handler = async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'sid=secret', 'X-Echo': 'yes' });
      res.end(JSON.stringify({ got: JSON.parse(body) }));
    };
    const answer = await httpRequest(
      `${server.url}/items?b=2&a=1`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer secret', 'X-Trace-Me': 'v' } },
      '{"z":1,"a":[true]}',
    );
    expect(answer.status).toBe(201);
    await spanEnded();
    const { request, response } = recorded();
    expect(request.target).toBe('/items?b=2&a=1');
    expect(request.normalized).toMatchObject({ method: 'POST', url: `${server.url}/items?a=1&b=2`, headers: { 'content-type': 'application/json' } });
    expect(request.normalized.body?.data).toBe('{"a":[true],"z":1}');
    expect(request.body?.data).toBe('{"z":1,"a":[true]}');
    expect(request.complete).toBe(true);
    expect(request.headers).toContainEqual(['authorization', REDACTED]);
    expect(request.headers).toContainEqual(['X-Trace-Me', 'v']);
    expect(response).toMatchObject({ status: 201, complete: true, body: { encoding: 'utf8', data: '{"got":{"z":1,"a":[true]}}' } });
    expect(response.headers).toContainEqual(['set-cookie', REDACTED]);
    expect(response.headers).toContainEqual(['X-Echo', 'yes']);
  });

  it('sees bodies read as strings and responses written in pieces', async () => {
    handler = (req, res) => {
      req.setEncoding('utf8');
      let body = '';
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.write('héllo ');
        res.write(Buffer.from(body.toUpperCase()));
        res.end('!', 'utf8');
      });
    };
    await httpRequest(`${server.url}/text`, { method: 'PUT' }, 'wörld');
    await spanEnded();
    const { request, response } = recorded();
    expect(request.body?.data).toBe('wörld');
    expect(response.body?.data).toBe('héllo WÖRLD!');
    expect(response.headers).toContainEqual(['content-type', 'text/plain; charset=utf-8']);
  });

  it('stores a compressed response decoded, and a streamed one as chunks', async () => {
    handler = (req, res) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync('{"zipped":true}'));
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        res.end('data: 2\n\n');
      }
    };
    await httpRequest(`${server.url}/gzip`);
    await spanEnded();
    expect(recorded().response).toMatchObject({ contentEncoding: 'gzip', body: { data: '{"zipped":true}' } });
    exporter.reset();
    await httpRequest(`${server.url}/sse`);
    await spanEnded();
    expect(recorded().response.chunks?.map((chunk) => decodeBody(chunk.body).toString())).toEqual(['data: 1\n\n', 'data: 2\n\n']);
  });

  it('marks a request body cut off at the size limit, or not read by the handler', async () => {
    handler = (req, res) => {
      if (req.url === '/unread') return void res.end('ignored your body');
      req.resume();
      req.on('end', () => res.end('ok'));
    };
    await httpRequest(`${server.url}/big`, { method: 'POST' }, Buffer.alloc(MAX_BODY_BYTES * 2, 'x'));
    await spanEnded();
    expect(recorded().request).toMatchObject({ truncated: true, complete: false, body: { size: MAX_BODY_BYTES } });
    exporter.reset();
    await httpRequest(`${server.url}/unread`, { method: 'POST' }, 'never read');
    await spanEnded();
    expect(recorded().request.complete).toBe(false);
  });
});

describe('the inbound replay marker', () => {
  it('takes its own header out before the app sees the request, and only its own', async () => {
    const marker = new InboundMarker();
    const seen: Array<{ headers: http.IncomingHttpHeaders; raw: string[] }> = [];
    handler = (req, res) => {
      seen.push({ headers: { ...req.headers }, raw: [...req.rawHeaders] });
      res.end();
    };
    try {
      await httpRequest(server.url, { headers: { [INTERNAL_REQUEST_HEADER]: marker.token, 'x-kept': '1' } });
      await httpRequest(server.url, { headers: { [INTERNAL_REQUEST_HEADER]: 'someone else' } });
    } finally {
      marker.dispose();
    }
    expect(seen[0]!.headers[INTERNAL_REQUEST_HEADER]).toBeUndefined();
    expect(seen[0]!.raw.map((name) => name.toLowerCase())).not.toContain(INTERNAL_REQUEST_HEADER);
    expect(seen[0]!.headers['x-kept']).toBe('1');
    expect(seen[1]!.headers[INTERNAL_REQUEST_HEADER]).toBe('someone else');
  });
});

describe('comparing a replayed response', () => {
  const json = (data: string): RecordedResponse => ({
    status: 200,
    statusText: 'OK',
    headers: [['content-type', 'application/json']],
    body: { encoding: 'utf8', data, size: Buffer.byteLength(data) },
    complete: true,
  });
  const replayed = (body: string | Buffer, headers: Array<[string, string]> = [['content-type', 'application/json']], status = 200) => ({
    status,
    headers,
    body: Buffer.from(body),
  });

  it('compares JSON canonically and reports differing fields', () => {
    expect(compareInboundResponse(json('{"a":1,"b":[1,2]}'), replayed('{ "b": [1, 2], "a": 1 }'))).toEqual({ match: true, diff: [] });
    expect(compareInboundResponse(json('{"a":1,"b":[1,2]}'), replayed('{"a":1,"b":[1,3]}', undefined, 500))).toEqual({
      match: false,
      diff: [
        { path: 'status', recorded: '200', current: '500' },
        { path: 'body.b[1]', recorded: '2', current: '3' },
      ],
    });
  });

  it('decodes a compressed replayed body, and compares other bodies byte for byte', () => {
    const gzipped = replayed(gzipSync('{"a":1}'), [['content-type', 'application/json'], ['content-encoding', 'gzip']]);
    expect(compareInboundResponse({ ...json('{"a":1}'), contentEncoding: 'gzip' }, gzipped).match).toBe(true);
    const text: RecordedResponse = { ...json('hello'), headers: [['content-type', 'text/plain']] };
    expect(compareInboundResponse(text, replayed('hello ', [['content-type', 'text/plain']]))).toEqual({
      match: false,
      diff: [{ path: 'body', recorded: '"hello"', current: '"hello "' }],
    });
  });
});
