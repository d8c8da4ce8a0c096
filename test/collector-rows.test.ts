import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ChdbSpanStore, type SpanRow } from '@tracetape/clickhouse';
import { encodeBody, inputHash, normalizeRequest, type CapturedRequest, type RecordedResponse } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCutOffJson, TruncatedAttributeError } from '../packages/replay/src/truncated-attribute.js';
import { COLLECTOR_SCHEMAS, type CollectorSchema } from './fixtures/collector-rows-schemas.js';
import { FIXTURES, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

/*
 * Rows as the OpenTelemetry Collector's ClickHouse exporter writes them, typed out by hand: one
 * INSERT per span, payloads inline in SpanAttributes (no payload table exists), every attribute
 * value a string the way the Collector renders it (ints "200", doubles "0.2", bools "false",
 * arrays as JSON), and the spellings of the exporter generation whose tables they go into.
 * Replay reads them through the CLI against a loopback server that must see no request.
 */

const APP = path.join(FIXTURES, 'collector-rows-app.mjs');
const store = tempDir('tracetape-collector-rows-');
const dir = path.join(store.dir, 'store');
let upstream: CountingServer;

const CHAT_ANSWER = 'Order 42 left the warehouse on Tuesday.';
// Over the in-process exporter's 1 KB offload threshold: a Collector keeps it inline all the same.
const ORDER_BODY = JSON.stringify({ error: 'inventory service unavailable', detail: 'x'.repeat(5000), tail: 'end-of-order' });
const EXPECTED_STDOUT = `model said: ${CHAT_ANSWER}\norder: 503 ${ORDER_BODY.length} chars, ends with ${ORDER_BODY.slice(-20)}\n`;
const TRUNCATE_AT = 256;

const traces = new Map<string, string>(); // database -> trace ID of the replayable run
const serverTraces = new Map<string, string>();
let truncatedTrace = '';
let truncatedSpan = '';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A ClickHouse string literal. */
function sql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function mapLiteral(map: Record<string, string>): string {
  return `{${Object.entries(map).map(([k, v]) => `${sql(k)}:${sql(v)}`).join(', ')}}`;
}

/** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' UTC, `offsetMs` after `base`. */
function timestamp(base: number, offsetMs: number): string {
  const iso = new Date(base + offsetMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
}

interface Span {
  timestamp: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: 'Internal' | 'Server' | 'Client';
  status: 'Unset' | 'Error';
  statusMessage?: string;
  durationNs: string;
  scope: { name: string; version: string };
  attributes: Record<string, string>;
  events?: { timestamp: string; name: string; attributes: Record<string, string> }[];
}

function insertStatement(schema: CollectorSchema, span: Span): string {
  const kind = schema.legacySpellings ? `SPAN_KIND_${span.kind.toUpperCase()}` : span.kind;
  const status = schema.legacySpellings ? `STATUS_CODE_${span.status.toUpperCase()}` : span.status;
  const attributes = { ...span.attributes };
  if (!schema.scopeColumns) {
    // What exporters before the Scope columns did with the instrumentation scope.
    attributes['otel.scope.name'] = span.scope.name;
    attributes['otel.scope.version'] = span.scope.version;
  }
  const resource = { 'service.name': 'collector-rows-app', 'telemetry.sdk.language': 'nodejs', 'process.pid': '4242' };
  const events = span.events ?? [];
  const columns = [
    'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName', 'ResourceAttributes',
    ...(schema.scopeColumns ? ['ScopeName', 'ScopeVersion'] : []),
    'SpanAttributes', 'Duration', 'StatusCode', 'StatusMessage',
    '`Events.Timestamp`', '`Events.Name`', '`Events.Attributes`', '`Links.TraceId`', '`Links.SpanId`', '`Links.TraceState`', '`Links.Attributes`',
  ];
  const values = [
    sql(span.timestamp), sql(span.traceId), sql(span.spanId), sql(span.parentSpanId), "''", sql(span.name), sql(kind),
    sql('collector-rows-app'), mapLiteral(resource),
    ...(schema.scopeColumns ? [sql(span.scope.name), sql(span.scope.version)] : []),
    mapLiteral(attributes), span.durationNs, sql(status), sql(span.statusMessage ?? ''),
    `[${events.map((e) => sql(e.timestamp)).join(', ')}]`,
    `[${events.map((e) => sql(e.name)).join(', ')}]`,
    `[${events.map((e) => mapLiteral(e.attributes)).join(', ')}]`,
    '[]', '[]', '[]', '[]',
  ];
  return `INSERT INTO ${schema.database}.otel_traces (${columns.join(', ')}) VALUES (${values.join(', ')})`;
}

/** The tracetape attributes of one recorded call, as the register hook puts them on the span. */
function recording(method: string, url: string, requestBody: string | undefined, response: { status: number; statusText: string; body: string }) {
  const headers: [string, string][] = requestBody === undefined ? [] : [['content-type', 'application/json']];
  const normalized = normalizeRequest({ method, url, headers, body: requestBody === undefined ? undefined : Buffer.from(requestBody) });
  const request: CapturedRequest = { normalized, headers: [...headers, ['accept', '*/*'], ['user-agent', 'node']] };
  const recorded: RecordedResponse = {
    status: response.status,
    statusText: response.statusText,
    headers: [['content-type', 'application/json']],
    complete: true,
    body: encodeBody(Buffer.from(response.body)),
  };
  return {
    'tracetape.kind': 'http',
    'tracetape.format': '1',
    'tracetape.input.hash': inputHash(normalized),
    'tracetape.request': JSON.stringify(request),
    'tracetape.response': JSON.stringify(recorded),
  };
}

function chatCall(base: string) {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Where is order 42?' }] });
  const answer = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: CHAT_ANSWER }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
  });
  const url = `${base}/v1/chat/completions`;
  return {
    url,
    attributes: {
      'http.request.method': 'POST',
      'url.full': url,
      'server.address': '127.0.0.1',
      'server.port': new URL(base).port, // an int attribute, rendered as the Collector renders ints
      'http.response.status_code': '200',
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.request.temperature': '0.2', // a double
      'gen_ai.response.finish_reasons': '["stop"]', // a string array: JSON
      'gen_ai.usage.input_tokens': '12',
      'gen_ai.usage.output_tokens': '9',
      'tracetape.test.cached': 'false', // a bool
      ...recording('POST', url, body, { status: 200, statusText: 'OK', body: answer }),
    },
  };
}

/** The replayable run: a process root span, the chat call, and an order lookup that got a 503. */
function runSpans(base: string, traceId: string, start: number): Span[] {
  const root = hex(8);
  const chat = chatCall(base);
  const orderUrl = `${base}/orders/42?expand=items`;
  const undici = { name: '@opentelemetry/instrumentation-undici', version: '0.14.0' };
  return [
    {
      timestamp: timestamp(start, 0), traceId, spanId: root, parentSpanId: '', name: 'collector-rows-app.mjs', kind: 'Internal',
      status: 'Unset', durationNs: '900000000', scope: { name: '@tracetape/instrumentation', version: '' }, attributes: { 'tracetape.run': 'process' },
    },
    {
      timestamp: timestamp(start, 10), traceId, spanId: hex(8), parentSpanId: root, name: 'POST', kind: 'Client', status: 'Unset',
      durationNs: '350000000', scope: undici, attributes: chat.attributes,
    },
    {
      timestamp: timestamp(start, 400), traceId, spanId: hex(8), parentSpanId: root, name: 'GET', kind: 'Client', status: 'Error',
      statusMessage: 'Service Unavailable', durationNs: '120000000', scope: undici,
      attributes: {
        'http.request.method': 'GET',
        'url.full': orderUrl,
        'http.response.status_code': '503',
        'error.type': '503',
        ...recording('GET', orderUrl, undefined, { status: 503, statusText: 'Service Unavailable', body: ORDER_BODY }),
      },
      events: [{ timestamp: timestamp(start, 520), name: 'exception', attributes: { 'exception.message': 'upstream answered 503' } }],
    },
  ];
}

beforeAll(async () => {
  upstream = await startCountingServer(() => ({ body: JSON.stringify({ live: true, nonce: Math.random() }) }));
  const writer = new ChdbSpanStore({ dir });
  try {
    const start = Date.now() - 3_600_000;
    for (const [index, schema] of COLLECTOR_SCHEMAS.entries()) {
      for (const statement of schema.statements) await writer.query(statement, 'TabSeparated');
      const traceId = hex(16);
      traces.set(schema.database, traceId);
      for (const span of runSpans(upstream.url, traceId, start + index * 1000)) await writer.query(insertStatement(schema, span), 'TabSeparated');

      // A trace rooted at an inbound request, to see the server kind read in either spelling.
      const serverTrace = hex(16);
      serverTraces.set(schema.database, serverTrace);
      const root = hex(8);
      const chat = chatCall(upstream.url);
      const http = { name: '@opentelemetry/instrumentation-http', version: '0.201.0' };
      await writer.query(insertStatement(schema, {
        timestamp: timestamp(start, 5000 + index * 1000), traceId: serverTrace, spanId: root, parentSpanId: '', name: 'POST /ask',
        kind: 'Server', status: 'Unset', durationNs: '500000000', scope: http, attributes: { 'http.request.method': 'POST', 'http.route': '/ask' },
      }), 'TabSeparated');
      await writer.query(insertStatement(schema, {
        timestamp: timestamp(start, 5010 + index * 1000), traceId: serverTrace, spanId: hex(8), parentSpanId: root, name: 'POST',
        kind: 'Client', status: 'Unset', durationNs: '300000000', scope: http, attributes: chat.attributes,
      }), 'TabSeparated');
    }

    // A run recorded under OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=256: the response payload stops mid-JSON.
    const schema = COLLECTOR_SCHEMAS[0]!;
    truncatedTrace = hex(16);
    const spans = runSpans(upstream.url, truncatedTrace, start + 10_000).slice(0, 2);
    const call = spans[1]!;
    truncatedSpan = call.spanId;
    call.attributes['tracetape.response'] = call.attributes['tracetape.response']!.slice(0, TRUNCATE_AT);
    for (const span of spans) await writer.query(insertStatement(schema, span), 'TabSeparated');
  } finally {
    // The CLI children open the same directory: chDB lets one process hold it at a time.
    await writer.close();
  }
});

afterAll(async () => {
  await upstream?.close();
  store.remove();
});

describe.each(COLLECTOR_SCHEMAS.map((schema) => [schema.label, schema] as const))('rows a Collector wrote: %s', (_label, schema) => {
  const env = () => ({ TRACETAPE_DIR: dir, TRACETAPE_CLICKHOUSE_DATABASE: schema.database, UPSTREAM_URL: upstream.url });

  it('replays the run through the CLI with no call reaching the network', async () => {
    const traceId = traces.get(schema.database)!;
    upstream.reset();
    const replayed = await tracetape(['replay', traceId, '--', 'node', APP], env());
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(EXPECTED_STDOUT);
    expect(replayed.stderr).toMatch(/2 served, 0 unconsumed, 0 blocked/);
    expect(upstream.count()).toBe(0);
  });

  it('builds the tape with spans in current spelling and the LLM call recognised', async () => {
    const tape = await tracetape(['tape', traces.get(schema.database)!, '--json'], env());
    expect(tape.code, tape.stderr).toBe(0);
    const parsed = JSON.parse(tape.stdout);
    expect(parsed.serviceName).toBe('collector-rows-app');
    expect(parsed.rootName).toBe('collector-rows-app.mjs');
    expect(parsed.entries.map((e: { request: CapturedRequest }) => e.request.normalized.method)).toEqual(['POST', 'GET']);
    expect(parsed.entries[0].llm).toMatchObject({ provider: 'openai', requestModel: 'gpt-4o-mini', inputTokens: 12, outputTokens: 9 });
    expect(parsed.entries[1].response.body.data).toBe(ORDER_BODY);
    expect(parsed.entries[1].durationMs).toBe(120);

    const server = await tracetape(['tape', serverTraces.get(schema.database)!, '--json'], env());
    expect(server.code, server.stderr).toBe(0);
    expect(JSON.parse(server.stdout).rootKind).toBe('server');
  });

  it('lists the runs, with the error status in either spelling', async () => {
    const listed = await tracetape(['traces', '--json'], env());
    expect(listed.code, listed.stderr).toBe(0);
    const runs = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { traceId: string; status: string; recordedCalls: number });
    const run = runs.find((r) => r.traceId === traces.get(schema.database));
    expect(run).toMatchObject({ status: 'Error', recordedCalls: 2 });
  });
});

describe('an attribute cut off by OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', () => {
  it('is refused with the span, the limit and what to do, and nothing runs', async () => {
    upstream.reset();
    const env = { TRACETAPE_DIR: dir, TRACETAPE_CLICKHOUSE_DATABASE: COLLECTOR_SCHEMAS[0]!.database, UPSTREAM_URL: upstream.url };
    const replayed = await tracetape(['replay', truncatedTrace, '--', 'node', APP], env);
    expect(replayed.code).toBe(2);
    expect(replayed.stdout).toBe('');
    expect(replayed.stderr).toContain(`Span ${truncatedSpan} (POST)`);
    expect(replayed.stderr).toContain(`tracetape.response cut off at ${TRUNCATE_AT} characters`);
    expect(replayed.stderr).toContain('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT');
    expect(replayed.stderr).toMatch(/record the run again/);
    expect(upstream.count()).toBe(0);

    const tape = await tracetape(['tape', truncatedTrace], env);
    expect(tape.code).toBe(2);
    expect(tape.stderr).toContain('cut off at 256 characters');
  });

  it('is told apart from JSON that is broken in the middle', () => {
    expect(isCutOffJson('{"status":200,"body":{"data":"abc')).toBe(true);
    expect(isCutOffJson('{"status":200,"headers":[["a","b"],[')).toBe(true);
    expect(isCutOffJson('{"status":200}')).toBe(false);
    expect(isCutOffJson('{"status":200}} trailing')).toBe(false);
    expect(isCutOffJson('not json at all')).toBe(false);
    const error = new TruncatedAttributeError({ SpanId: 'abc', SpanName: 'POST' } as SpanRow, 'tracetape.request', 128);
    expect(error.code).toBe('TRACETAPE_ATTRIBUTE_TRUNCATED');
  });
});
