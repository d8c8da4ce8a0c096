import fs from 'node:fs';
import { decodeBody, encodeBody, parseTape, serializeTape, TapeFormatError, type ParseTapeOptions, type Tape } from '@tracetape/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeEntry, makeTape } from './tape-fixtures.js';

/*
 * Property-based fuzzing of parseTape: whatever the text, it returns a tape that holds together
 * or throws TapeFormatError, never another exception. Bounded and seeded so CI is deterministic;
 * explore further with e.g. FUZZ_RUNS=20000 FUZZ_SEED=$RANDOM npx vitest run
 * packages/core/test/tape-fuzz.test.ts. A failing input found that way goes into
 * fuzz-corpus/tape.json (replayed below) next to its fix.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

const base: Tape = {
  ...makeTape([
    makeEntry({ step: 1, method: 'GET', url: 'https://h.test/a' }),
    makeEntry({ step: 2, method: 'POST', url: 'https://h.test/b', body: '{"x":1}' }),
    makeEntry({
      step: 3,
      method: 'GET',
      url: 'https://h.test/stream',
      response: { chunks: [{ offsetMs: 0, body: encodeBody(Buffer.from('data: 1\n\n')) }, { offsetMs: 5, body: encodeBody(Buffer.from([0xff, 0])) }] },
    }),
  ]),
  rootKind: 'server',
  nondeterminism: { clock: { start: 1700000000000, deltas: [1, 0, 3] }, random: [0.25, 0.5], uuid: ['0f'], bytes: ['AAEC'] },
  inbound: {
    request: {
      normalized: { method: 'POST', url: 'http://localhost/answer', headers: {} },
      headers: [['host', 'localhost']],
      target: '/answer?b=2&a=1',
      body: encodeBody(Buffer.from('{"q":1}')),
      complete: true,
    },
    response: { status: 200, statusText: 'OK', headers: [], body: encodeBody(Buffer.from('ok')), complete: true },
  },
};
const signed = serializeTape(base);

/** The property: a tape that holds together, or TapeFormatError; anything else is a bug. */
function parsesOrRefuses(text: string, options?: ParseTapeOptions): void {
  let tape: Tape;
  try {
    tape = parseTape(text, 'fuzzed.tape.json', options);
  } catch (error) {
    if (error instanceof TapeFormatError) return;
    throw error;
  }
  // Accepted: playback must be able to use it as it is, and it must survive a rewrite.
  for (const entry of tape.entries) {
    if (entry.response.body) decodeBody(entry.response.body);
    for (const chunk of entry.response.chunks ?? []) decodeBody(chunk.body);
  }
  expect(parseTape(serializeTape(tape)).entries.length).toBe(tape.entries.length);
}

/** Structural damage: a value somewhere deleted or replaced by one of another type. */
const jsonMutation = fc.record({ pick: fc.nat(), remove: fc.boolean(), value: fc.jsonValue({ maxDepth: 2 }) });
type JsonMutation = typeof jsonMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateJson(document: unknown, mutations: JsonMutation[]): unknown {
  const root = { doc: structuredClone(document) } as Record<string, unknown>;
  for (const m of mutations) {
    const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [[root, 'doc']];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach((v, i) => (slots.push([value, i]), walk(v)));
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) slots.push([value as Record<string, unknown>, k]), walk(v);
      }
    };
    walk(root.doc);
    const [parent, key] = slots[m.pick % slots.length]!;
    if (m.remove && Array.isArray(parent)) parent.splice(key as number, 1);
    else if (m.remove) delete (parent as Record<string, unknown>)[key];
    else (parent as Record<string | number, unknown>)[key] = m.value;
  }
  return root.doc;
}

const options = fc.constantFrom<ParseTapeOptions | undefined>(undefined, { allowUnsigned: true }, { allowModified: true });

describe('parseTape under fuzzing', () => {
  it('parses or refuses arbitrary JSON values and arbitrary text', () => {
    fc.assert(fc.property(fc.jsonValue(), options, (value, opts) => parsesOrRefuses(JSON.stringify(value) ?? 'null', opts)), params);
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), options, (text, opts) => parsesOrRefuses(text, opts)), params);
  });

  it('parses or refuses signed tapes with fields removed or retyped', () => {
    const document = JSON.parse(signed) as unknown;
    fc.assert(
      fc.property(fc.array(jsonMutation, { minLength: 1, maxLength: 4 }), options, (mutations, opts) =>
        parsesOrRefuses(JSON.stringify(mutateJson(document, mutations)) ?? 'null', opts),
      ),
      params,
    );
  });

  it('parses or refuses signed tapes truncated or with characters changed', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 3 }), fc.string({ unit: 'binary', maxLength: 3 }), options, (at, cut, insert, opts) => {
        const i = at % signed.length;
        parsesOrRefuses(signed.slice(0, i) + insert + signed.slice(i + cut), opts);
        parsesOrRefuses(signed.slice(0, i), opts);
      }),
      params,
    );
  });

  it('never accepts a changed signed tape without allowModified', () => {
    // The other direction: what parses strictly is exactly the signed content.
    const document = JSON.parse(signed) as unknown;
    fc.assert(
      fc.property(fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), (mutations) => {
        const text = JSON.stringify(mutateJson(document, mutations)) ?? 'null';
        let tape: Tape;
        try {
          tape = parseTape(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TapeFormatError);
          return;
        }
        expect(tape).toEqual(parseTape(signed));
      }),
      params,
    );
  });

  it('refuses deeply nested documents with TapeFormatError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('[', '{"a":'), (times, open) => {
        const close = open === '[' ? ']' : '}';
        const nested = open.repeat(times) + '1' + close.repeat(times);
        parsesOrRefuses(signed.replace('"rootKind": "server"', `"rootKind": ${nested}`), { allowModified: true });
        parsesOrRefuses(signed.replace('"random": [', `"random": [${nested}, `), { allowModified: true });
        // Unknown fields are not checked for shape, but the checksum still walks them.
        parsesOrRefuses(signed.replace('"rootKind": "server"', `"rootKind": "server", "extra": ${nested}`));
      }),
      { ...params, numRuns: Math.min(RUNS, 50) },
    );
  });
});

describe('tape crash corpus', () => {
  // Inputs that once made parseTape throw something other than TapeFormatError.
  // `text` is a signed tape's text (%SIGNED%) with edits; %NEST% stands for `nest` opened and closed `times` times.
  type Entry = { name: string; text: string; nest?: { open: string; close: string; times: number } };
  const corpus = JSON.parse(fs.readFileSync(new URL('./fuzz-corpus/tape.json', import.meta.url), 'utf8')) as Entry[];
  const textOf = (entry: Entry): string => {
    const nested = entry.nest ? entry.nest.open.repeat(entry.nest.times) + '1' + entry.nest.close.repeat(entry.nest.times) : '';
    return entry.text.replace('%SIGNED%', signed).replace('%NEST%', nested);
  };
  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, entry) => {
    for (const opts of [undefined, { allowUnsigned: true }, { allowModified: true }]) {
      expect(() => parseTape(textOf(entry), 'corpus', opts)).toThrow(TapeFormatError);
    }
  });
});
