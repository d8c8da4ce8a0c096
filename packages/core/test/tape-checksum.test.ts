import { CHECKSUM_PREFIX, parseTape, serializeTape, TapeFormatError, TapeIntegrityError, type Tape } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { makeEntry, makeTape } from './tape-fixtures.js';

const good: Tape = {
  ...makeTape([
    makeEntry({ step: 1, method: 'GET', url: 'https://h.test/a' }),
    makeEntry({ step: 2, method: 'POST', url: 'https://h.test/b', body: '{"x":1}' }),
    makeEntry({ step: 3, method: 'GET', url: 'https://h.test/c' }),
    makeEntry({ step: 4, method: 'GET', url: 'https://h.test/d' }),
  ]),
  nondeterminism: { clock: { start: 1, deltas: [1, 2] }, random: [0.5], uuid: ['u'], bytes: ['AAE='] },
};

/** The signed file as JSON, edited by `edit`. */
function edited(edit: (file: any) => void, tape: Tape = good): string {
  const file = JSON.parse(serializeTape(tape));
  edit(file);
  return JSON.stringify(file, null, 2);
}

function refusal(text: string, options?: Parameters<typeof parseTape>[2]): TapeFormatError {
  try {
    parseTape(text, 'fixture.tape.json', options);
  } catch (error) {
    expect(error).toBeInstanceOf(TapeFormatError);
    return error as TapeFormatError;
  }
  throw new Error('parseTape accepted the tape');
}

describe('tape checksums', () => {
  it('signs every tape it writes, and reads it back without the signature fields', () => {
    const file = JSON.parse(serializeTape(good));
    expect(file.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(file.entryChecksums).toHaveLength(4);
    expect(Object.keys(file.fieldChecksums)).toContain('nondeterminism');
    expect(parseTape(serializeTape(good))).toEqual(good);
  });

  it('re-signs a tape that still carries an old signature (an override rewrote it)', () => {
    const parsed = parseTape(serializeTape(good));
    const stale = { ...parsed, ...JSON.parse(serializeTape(good)) } as Tape;
    stale.entries = [...stale.entries];
    stale.entries[1] = { ...stale.entries[1]!, override: { source: 'override.json' } };
    expect(parseTape(serializeTape(stale)).entries[1]!.override).toEqual({ source: 'override.json' });
  });

  it('does not care about indentation or key order, only content', () => {
    const file = JSON.parse(serializeTape(good));
    const reordered = Object.fromEntries(Object.entries(file).reverse());
    expect(parseTape(JSON.stringify(reordered))).toEqual(good);
  });

  it('names the entry (and step) that was changed by hand', () => {
    const error = refusal(edited((f) => (f.entries[3].response.body.data = '{"step":"edited"}')));
    expect(error).toBeInstanceOf(TapeIntegrityError);
    expect(error.code).toBe('TRACETAPE_TAPE_MODIFIED');
    expect((error as TapeIntegrityError).entryIndex).toBe(3);
    expect(error.message).toContain('fixture.tape.json');
    expect(error.message).toContain('entries[3] (step 4) was changed');
    // Says how to proceed when the edit was on purpose.
    expect(error.message).toContain('--allow-modified-tape');
    expect(error.message).toContain('tracetape tape --sign');
  });

  it('counts further changed entries, and names removed and added ones', () => {
    expect(refusal(edited((f) => f.entries.forEach((e: any) => (e.durationMs = 9)))).message).toContain(
      'entries[0] (step 1) was changed (and 3 more entries)',
    );
    expect(refusal(edited((f) => f.entries.pop())).message).toContain('entries[3] was removed (signed with 4 entries, now 3)');
    expect(refusal(edited((f) => f.entries.push(structuredClone(f.entries[0])))).message).toContain('entries[4] (step 1) was added');
  });

  it('names a changed, added or removed top-level field', () => {
    expect(refusal(edited((f) => (f.serviceName = 'other'))).message).toContain('field "serviceName" was changed');
    expect(refusal(edited((f) => (f.nondeterminism.random = [0.25]))).message).toContain('field "nondeterminism" was changed');
    expect(refusal(edited((f) => delete f.nondeterminism)).message).toContain('field "nondeterminism" was removed');
    expect(refusal(edited((f) => (f.rootKind = 'run'))).message).toContain('field "rootKind" was added');
  });

  it('reports an edited checksum', () => {
    expect(refusal(edited((f) => (f.checksum = 'sha256:abc'))).message).toContain('"checksum" must be "sha256:" and 64 hex characters');
    expect(refusal(edited((f) => (f.checksum = `${CHECKSUM_PREFIX}${'0'.repeat(64)}`))).message).toContain('checksum fields themselves were edited');
  });

  it('refuses an unsigned tape unless allowed, and warns when it accepts one', () => {
    const unsigned = JSON.stringify(good);
    const error = refusal(unsigned);
    expect(error.code).toBe('TRACETAPE_TAPE_UNSIGNED');
    expect(error.message).toContain('carries no checksum');
    const warnings: string[] = [];
    expect(parseTape(unsigned, 'hand.json', { allowUnsigned: true, onWarning: (w) => warnings.push(w) })).toEqual(good);
    expect(warnings[0]).toContain('hand.json: it carries no checksum');
    // allowUnsigned is not allowModified: a signed tape that was edited is still refused.
    expect(refusal(edited((f) => (f.entries[0].step = 7)), { allowUnsigned: true }).code).toBe('TRACETAPE_TAPE_MODIFIED');
  });

  it('accepts a modified tape with allowModified, warning where it was changed', () => {
    const warnings: string[] = [];
    const tape = parseTape(edited((f) => (f.entries[1].durationMs = 99)), 'x', { allowModified: true, onWarning: (w) => warnings.push(w) });
    expect(tape.entries[1]!.durationMs).toBe(99);
    expect(warnings[0]).toContain('entries[1] (step 2) was changed');
  });

  it('checks the structure first, whatever the options, naming the JSON path', () => {
    const cases: Array<[(f: any) => void, string]> = [
      [(f) => (f.entries[2].response.chunks = [{ offsetMs: 0, body: { encoding: 'hex', data: '', size: 0 } }]), 'entries[2].response.chunks[0].body.encoding must be "utf8" or "base64"'],
      [(f) => (f.entries[2].response.chunks = 'x'), 'entries[2].response.chunks must be an array'],
      [(f) => (f.entries[0].response.body.data = 5), 'entries[0].response.body.data must be a string'],
      [(f) => (f.entries[0].response.body = { encoding: 'base64', data: '!!', size: 2 }), 'entries[0].response.body.data is not base64'],
      [(f) => (f.entries[0].response.body.size = -1), 'entries[0].response.body.size must be an integer of at least 0'],
      [(f) => (f.entries[0].request.headers = [['a']]), 'entries[0].request.headers[0] must be a [name, value] pair'],
      [(f) => (f.entries[0].request.normalized.headers = { 'content-type': 1 }), 'entries[0].request.normalized.headers["content-type"] must be a string'],
      [(f) => (f.entries[0].response.complete = 'yes'), 'entries[0].response.complete must be true or false'],
      [(f) => (f.entries[0].kind = 'smtp'), 'entries[0].kind must be "http"'],
      [(f) => (f.entries[0].llm = { provider: 'openai' }), 'entries[0].llm.operation must be a string'],
      [(f) => (f.nondeterminism.clock.deltas = [1, 'x']), 'nondeterminism.clock.deltas[1] must be a number'],
      [(f) => (f.nondeterminism.uuid = [1]), 'nondeterminism.uuid[0] must be a string'],
      [(f) => (f.nondeterminism.bytes = ['%%']), 'nondeterminism.bytes[0] is not base64'],
      [(f) => (f.inbound = { request: {}, response: {} }), 'inbound.request.normalized must be an object'],
      [(f) => (f.rootKind = 'thread'), 'rootKind must be "process" or "run" or "server"'],
    ];
    for (const [edit, problem] of cases) {
      const error = refusal(edited(edit), { allowModified: true });
      expect(error.code).toBe('TRACETAPE_TAPE_INVALID');
      expect(error.message).toContain(`Invalid tape (fixture.tape.json): ${problem}`);
    }
  });
});
