import fs from 'node:fs';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanStore } from '@tracetape/clickhouse';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertRequest, decodeJsonRequest, decodeProtobufRequest, MalformedRequestError, startCollector, type RunningCollector } from '../src/index.js';
import { sdkSpans } from './sdk-spans.js';

/*
 * Property-based fuzzing of what the collector accepts from the network. Bounded and seeded so CI
 * is deterministic; explore further with e.g. FUZZ_RUNS=20000 FUZZ_SEED=$RANDOM npx vitest run
 * packages/collector/test/decoder-fuzz.test.ts. A failing input found that way belongs in
 * fuzz-corpus/ (replayed by fuzz-corpus.test.ts) next to its fix.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

let validProtobuf: Uint8Array;
let validJson: unknown;

beforeAll(async () => {
  const spans = await sdkSpans();
  validProtobuf = ProtobufTraceSerializer.serializeRequest(spans)!;
  validJson = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
});

/** What the receiver does with a body before storing it. */
function decodeAndConvert(body: Uint8Array, encoding: 'protobuf' | 'json'): void {
  const decoded = encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
  convertRequest(decoded);
}

/** The property: a body is stored or refused as malformed (400); any other exception is a bug (500). */
function receive(body: Uint8Array, encoding: 'protobuf' | 'json'): void {
  try {
    decodeAndConvert(body, encoding);
  } catch (error) {
    if (error instanceof MalformedRequestError) return;
    throw error;
  }
}

/** Byte-level damage to a valid encoding: flips, cuts, insertions. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(source: Uint8Array, mutations: ByteMutation[]): Uint8Array {
  let bytes = Buffer.from(source);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'flip') bytes[at] = bytes[at]! ^ m.bits;
    else if (m.kind === 'set') bytes[at] = m.byte;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
  }
  return bytes;
}

/** Structural damage to a JSON document: a value at some path deleted or replaced by another type. */
const jsonMutation = fc.record({ pick: fc.nat(), remove: fc.boolean(), value: fc.jsonValue({ maxDepth: 3 }) });
type JsonMutation = typeof jsonMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateJson(document: unknown, mutations: JsonMutation[]): unknown {
  const root = { doc: structuredClone(document) } as Record<string, unknown>;
  for (const m of mutations) {
    const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach((v, i) => (slots.push([value, i]), walk(v)));
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) slots.push([value as Record<string, unknown>, k]), walk(v);
      }
    };
    slots.push([root, 'doc']);
    walk(root.doc);
    const [parent, key] = slots[m.pick % slots.length]!;
    if (m.remove && Array.isArray(parent)) parent.splice(key as number, 1);
    else if (m.remove) delete (parent as Record<string, unknown>)[key];
    else (parent as Record<string | number, unknown>)[key] = m.value;
  }
  return root.doc;
}

/**
 * Deep nesting, which random generation almost never reaches: a body of a few hundred kilobytes
 * can nest tens of thousands of levels, and anything recursive over it overflows the stack.
 */
const deepJson = fc
  .record({
    times: fc.integer({ min: 1, max: 60_000 }),
    shape: fc.constantFrom(
      ['[', ']'],
      ['{"a":', '}'],
      ['{"arrayValue":{"values":[', ']}}'],
      ['{"kvlistValue":{"values":[{"key":"k","value":', '}]}}'],
    ),
    frame: fc.constantFrom('%', '{"resourceSpans":%}', '{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":%}]}}]}'),
  })
  .map(({ times, shape: [open, close], frame }) => frame.replace('%', `${open.repeat(times)}{"stringValue":"x"}${close.repeat(times)}`));

/** A corpus entry's body: `text` with %NEST% replaced by `open` and `close` repeated `times` times, or `base64`. */
interface CorpusEntry {
  name: string;
  encoding: 'protobuf' | 'json';
  base64?: string;
  text?: string;
  nest?: { open: string; close: string; times: number };
}

function corpusBody(entry: CorpusEntry): Buffer {
  if (entry.base64 !== undefined) return Buffer.from(entry.base64, 'base64');
  const nested = entry.nest ? entry.nest.open.repeat(entry.nest.times) + entry.nest.close.repeat(entry.nest.times) : '';
  return Buffer.from((entry.text ?? '').replace('%NEST%', nested));
}

describe('OTLP/protobuf decoder under fuzzing', () => {
  it('decodes or refuses arbitrary bytes with MalformedRequestError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => receive(bytes, 'protobuf')), params);
  });

  it('decodes or refuses damaged valid ExportTraceServiceRequests', () => {
    fc.assert(
      fc.property(fc.array(byteMutation, { minLength: 1, maxLength: 6 }), (mutations) => receive(mutateBytes(validProtobuf, mutations), 'protobuf')),
      params,
    );
  });
});

describe('OTLP/JSON decoder under fuzzing', () => {
  it('decodes or refuses arbitrary JSON and arbitrary text', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => receive(Buffer.from(JSON.stringify(value) ?? 'null'), 'json')), params);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => receive(bytes, 'json')), params);
  });

  it('decodes or refuses deeply nested documents', () => {
    fc.assert(fc.property(deepJson, (text) => receive(Buffer.from(text), 'json')), { ...params, numRuns: Math.min(RUNS, 100) });
  });

  it('decodes or refuses valid payloads with fields removed or retyped', () => {
    fc.assert(
      fc.property(fc.array(jsonMutation, { minLength: 1, maxLength: 4 }), (mutations) =>
        receive(Buffer.from(JSON.stringify(mutateJson(validJson, mutations)) ?? 'null'), 'json'),
      ),
      params,
    );
  });

  it('decodes or refuses damaged bytes of a valid payload', () => {
    const text = Buffer.from(JSON.stringify(validJson));
    fc.assert(fc.property(fc.array(byteMutation, { minLength: 1, maxLength: 4 }), (mutations) => receive(mutateBytes(text, mutations), 'json')), params);
  });
});

describe('crash corpus', () => {
  // Inputs that once made a decoder throw something other than MalformedRequestError.
  const corpus = JSON.parse(fs.readFileSync(new URL('./fuzz-corpus/decoders.json', import.meta.url), 'utf8')) as CorpusEntry[];
  it.each(corpus.map((c) => [c.name, c] as const))('%s is refused with MalformedRequestError, not a crash', (_name, input) => {
    expect(() => decodeAndConvert(corpusBody(input), input.encoding)).toThrow(MalformedRequestError);
  });
});

describe('HTTP receiver under fuzzing', () => {
  // The decoders are what is fuzzed here, not the store: a store that accepts everything.
  const store = { init: async () => {}, insert: async () => {}, close: async () => {} } as unknown as SpanStore;
  let collector: RunningCollector;
  beforeAll(async () => {
    collector = await startCollector({ store, port: 0, host: '127.0.0.1' });
  });
  afterAll(() => collector.close());

  it('answers malformed bodies with 400 (never 500) and keeps serving', async () => {
    const bodies = fc.sample(
      fc.oneof(
        fc.record({ type: fc.constant('application/x-protobuf'), body: fc.uint8Array({ maxLength: 1024 }) }),
        fc.record({
          type: fc.constant('application/x-protobuf'),
          body: fc.array(byteMutation, { minLength: 1, maxLength: 4 }).map((m) => mutateBytes(validProtobuf, m)),
        }),
        fc.record({
          type: fc.constant('application/json'),
          body: fc.array(jsonMutation, { minLength: 1, maxLength: 3 }).map((m) => Buffer.from(JSON.stringify(mutateJson(validJson, m)) ?? 'null')),
        }),
        fc.record({ type: fc.constant('application/json'), body: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) }),
        fc.record({ type: fc.constant('application/json'), body: deepJson.map((text) => Buffer.from(text)) }),
      ),
      { numRuns: Math.min(RUNS, 300), seed: SEED },
    );
    const statuses = new Map<number, number>();
    // Several at a time, as senders do, but bounded.
    for (let i = 0; i < bodies.length; i += 10) {
      const batch = await Promise.all(
        bodies.slice(i, i + 10).map(async ({ type, body }) => {
          const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body });
          await response.arrayBuffer();
          return { status: response.status, body };
        }),
      );
      for (const { status, body } of batch) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 200 && status !== 400) throw new Error(`status ${status} for body (base64) ${Buffer.from(body).toString('base64')}`);
      }
    }
    expect(statuses.get(400)).toBeGreaterThan(0);
    // Still up and still accepting good data.
    const ok = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: validProtobuf });
    expect(ok.status).toBe(200);
  }, 60_000);
});
