import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ChdbSpanStore, resolvePayloadRefs, ServerSpanStore } from '@tracetape/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceResponse, RpcStatus, startCollector, type RunningCollector } from '../src/index.js';
import { BIG_RESPONSE, sdkSpans, tempDir } from './sdk-spans.js';

const tmp = tempDir('collector');
const store = new ChdbSpanStore({ dir: tmp.dir });
const TOKEN = 'let-me-in';
const LIMIT = 256 * 1024;
let open: RunningCollector;
let guarded: RunningCollector;

beforeAll(async () => {
  open = await startCollector({ store, port: 0, maxBodyBytes: LIMIT });
  guarded = await startCollector({ store, port: 0, token: TOKEN });
});

afterAll(async () => {
  await open.close();
  await guarded.close();
  await store.close();
  tmp.remove();
});

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

function post(collector: RunningCollector, body: Uint8Array | string, headers: Record<string, string>, path = '/v1/traces') {
  return fetch(`${collector.url}${path}`, { method: 'POST', headers, body });
}

async function storedSpanCount(traceId: string): Promise<number> {
  const text = await store.query(`SELECT count() AS n FROM otel_traces WHERE TraceId = '${traceId}'`, 'JSONEachRow');
  return Number((JSON.parse(text) as { n: string }).n);
}

/** A fresh run of SDK spans (a trace of its own) and its trace ID. */
async function run(): Promise<{ spans: ReadableSpan[]; traceId: string }> {
  const spans = await sdkSpans();
  return { spans, traceId: spans[0]!.spanContext().traceId };
}

async function rpcStatusOf(response: Response): Promise<{ code: number; message: string }> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.headers.get('content-type')?.includes('json')) return JSON.parse(Buffer.from(bytes).toString('utf8'));
  return RpcStatus.toObject(RpcStatus.decode(bytes)) as { code: number; message: string };
}

describe('accepted encodings', () => {
  it('stores OTLP/protobuf and answers with an empty ExportTraceServiceResponse', async () => {
    const { spans, traceId } = await run();
    const response = await post(open, ProtobufTraceSerializer.serializeRequest(spans)!, PROTOBUF);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-protobuf');
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(new Uint8Array(await response.arrayBuffer())));
    expect(decoded).toEqual({});
    const rows = await store.getTraceSpans(traceId);
    expect(rows.map((r) => r.SpanName).sort()).toEqual(['POST', 'agent run', 'think']);
    // The large payload went to the payload table and resolves back to the full text.
    const ref = rows.find((r) => r.SpanName === 'POST')!.SpanAttributes['tracetape.response']!;
    expect(ref).toMatch(/^tracetape-payload:sha256:/);
    const [call] = await resolvePayloadRefs(rows.filter((r) => r.SpanName === 'POST'), store);
    expect(call!.SpanAttributes['tracetape.response'] === BIG_RESPONSE).toBe(true);
  });

  it('stores OTLP/JSON and answers in JSON', async () => {
    const { spans, traceId } = await run();
    const response = await post(open, JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json; charset=utf-8' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await storedSpanCount(traceId)).toBe(3);
  });

  it.each([
    ['protobuf', PROTOBUF, (s: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(s)!],
    ['JSON', JSON_TYPE, (s: ReadableSpan[]) => JsonTraceSerializer.serializeRequest(s)!],
  ])('stores gzip-encoded %s', async (_name, headers, serialize) => {
    const { spans, traceId } = await run();
    const response = await post(open, gzipSync(serialize(spans)), { ...headers, 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(await storedSpanCount(traceId)).toBe(3);
  });

  it('stores every span of many concurrent requests', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, run));
    const responses = await Promise.all(runs.map(({ spans }) => post(open, ProtobufTraceSerializer.serializeRequest(spans)!, PROTOBUF)));
    expect(responses.map((r) => r.status)).toEqual(runs.map(() => 200));
    for (const { traceId } of runs) expect(await storedSpanCount(traceId)).toBe(3);
  });
});

describe('a batch sent again', () => {
  it('is stored once when a sender retries it, also when the copy is merged into one insert with the original', async () => {
    const { spans, traceId } = await run();
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    const others = await Promise.all(Array.from({ length: 8 }, run));
    const repeatedBefore = open.stats().repeatedRequests;
    // The copy arrives while the original is still being written, among other senders' requests.
    const responses = await Promise.all([
      post(open, body, PROTOBUF),
      ...others.map(({ spans: s }) => post(open, ProtobufTraceSerializer.serializeRequest(s)!, PROTOBUF)),
      post(open, body, PROTOBUF),
    ]);
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    // And once more after the answer, gzip-compressed this time: the same spans.
    expect((await post(open, gzipSync(body), { ...PROTOBUF, 'content-encoding': 'gzip' })).status).toBe(200);

    expect(await storedSpanCount(traceId)).toBe(3);
    for (const other of others) expect(await storedSpanCount(other.traceId)).toBe(3);
    expect(open.stats().repeatedRequests - repeatedBefore).toBe(2);
  });
});

describe('partial success', () => {
  it('stores the valid spans, and says how many were rejected and why', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spans = [
      { traceId, spanId: randomBytes(8).toString('hex'), name: 'kept', startTimeUnixNano: '1', endTimeUnixNano: '2' },
      { traceId, spanId: '', name: 'no span id' },
      { traceId: 'abcd', spanId: randomBytes(8).toString('hex'), name: 'short trace id' },
    ];
    const response = await post(open, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), JSON_TYPE);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/2 of 3 spans rejected: span "no span id" has an invalid span ID.*"short trace id"/);
    expect(await storedSpanCount(traceId)).toBe(1);
  });

  it('answers partial success in protobuf to a protobuf request', async () => {
    const { spans } = await run();
    const request = ProtobufTraceSerializer.serializeRequest(spans)!;
    // Spans whose IDs the SDK never makes: an all-zero trace ID is invalid in OTLP.
    const zeroed = Buffer.from(request);
    const traceId = Buffer.from(spans[0]!.spanContext().traceId, 'hex');
    for (let at = zeroed.indexOf(traceId); at !== -1; at = zeroed.indexOf(traceId, at + 1)) zeroed.fill(0, at, at + 16);
    const response = await post(open, zeroed, PROTOBUF);
    expect(response.status).toBe(200);
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(new Uint8Array(await response.arrayBuffer())), {
      longs: String,
    });
    expect(decoded).toMatchObject({ partialSuccess: { rejectedSpans: '3', errorMessage: expect.stringMatching(/invalid trace ID/) } });
  });
});

describe('refused requests store nothing', () => {
  it('400 with the reason for malformed protobuf', async () => {
    const response = await post(open, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]), PROTOBUF);
    expect(response.status).toBe(400);
    expect((await rpcStatusOf(response)).message).toMatch(/not a valid OTLP trace export: protobuf decoding failed/);
  });

  it('400 with the reason for malformed JSON, even when most of it is fine', async () => {
    const { spans, traceId } = await run();
    const document = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    document.resourceSpans[0].scopeSpans[0].spans.at(-1).startTimeUnixNano = 'yesterday';
    const response = await post(open, JSON.stringify(document), JSON_TYPE);
    expect(response.status).toBe(400);
    expect(await rpcStatusOf(response)).toMatchObject({ code: 3, message: expect.stringMatching(/startTimeUnixNano should be an integer/) });
    expect(await storedSpanCount(traceId)).toBe(0);
  });

  it('400 for a gzip header over a body that is not gzip', async () => {
    const { spans, traceId } = await run();
    const response = await post(open, ProtobufTraceSerializer.serializeRequest(spans)!, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(response.status).toBe(400);
    expect(await storedSpanCount(traceId)).toBe(0);
  });

  it('413 over the size limit', async () => {
    const { spans, traceId } = await run();
    const body = ProtobufTraceSerializer.serializeRequest([...spans, ...Array.from({ length: 4 }, () => spans[0]!)])!;
    expect(body.length).toBeGreaterThan(LIMIT);
    const response = await post(open, body, PROTOBUF);
    expect(response.status).toBe(413);
    expect((await rpcStatusOf(response)).message).toMatch(`larger than ${LIMIT} bytes`);
    expect(await storedSpanCount(traceId)).toBe(0);
  });

  it('413 for a small gzip body that inflates past the limit', async () => {
    const { spans, traceId } = await run();
    const body = ProtobufTraceSerializer.serializeRequest([...spans, ...Array.from({ length: 4 }, () => spans[0]!)])!;
    const compressed = gzipSync(body);
    expect(compressed.length).toBeLessThan(LIMIT);
    const response = await post(open, compressed, { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect((await rpcStatusOf(response)).message).toMatch('once decompressed');
    expect(await storedSpanCount(traceId)).toBe(0);
  });

  it('401 without the bearer token, or with a wrong one; 200 with it', async () => {
    const { spans, traceId } = await run();
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    const missing = await post(guarded, body, PROTOBUF);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await rpcStatusOf(missing)).message).toMatch(/needs a bearer token/);
    expect((await post(guarded, body, { ...PROTOBUF, authorization: 'Bearer let-me-out' })).status).toBe(401);
    expect((await post(guarded, body, { ...PROTOBUF, authorization: 'Basic bGV0LW1lLWlu' })).status).toBe(401);
    expect(await storedSpanCount(traceId)).toBe(0);
    expect((await post(guarded, body, { ...PROTOBUF, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect(await storedSpanCount(traceId)).toBe(3);
  });

  it('415 for other content types and encodings', async () => {
    expect((await post(open, 'hello', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(open, 'hello', {})).status).toBe(415);
    const brotli = await post(open, 'hello', { ...PROTOBUF, 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect((await rpcStatusOf(brotli)).message).toMatch(/Content-Encoding "br" is not supported/);
  });

  it('404 elsewhere, 405 for other methods', async () => {
    expect((await post(open, '{}', JSON_TYPE, '/v1/metrics')).status).toBe(404);
    const get = await fetch(`${open.url}/v1/traces`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('counts what it refused', () => {
    expect(open.stats().failedRequests).toBeGreaterThanOrEqual(9);
  });
});

describe('store unavailable', () => {
  it('503 with Retry-After, so senders retry later', async () => {
    // A ClickHouse server address where nothing listens: the store cannot be reached.
    const unreachable = new ServerSpanStore({ url: 'http://127.0.0.1:9' });
    const collector = await startCollector({ store: unreachable, port: 0 });
    try {
      const { spans } = await run();
      const response = await post(collector, ProtobufTraceSerializer.serializeRequest(spans)!, PROTOBUF);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect((await rpcStatusOf(response)).message).toMatch(/Cannot reach the trace store/);
    } finally {
      await collector.close();
      await unreachable.close();
    }
  });
});
