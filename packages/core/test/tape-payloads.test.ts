import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { encodeBody, parseTape, serializeTape, TAPE_VERSION, TapeFormatError, TapeIntegrityError, type Tape } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { makeEntry, makeTape } from './tape-fixtures.js';

/** Text that does not repeat within itself, ~`length` characters. */
function prose(seed: string, length: number): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += `${createHash('sha256').update(`${seed}/${i}`).digest('base64')} `;
  return text.slice(0, length);
}

/** A chat agent resending its whole history on every call, as a recorded run would hold it. */
function conversation(turns: number): Tape {
  const messages: Array<Record<string, unknown>> = [{ role: 'system', content: prose('system', 2000) }];
  const tools = [{ type: 'function', function: { name: 'lookup', description: prose('tool', 600), parameters: { type: 'object' } } }];
  const entries = [];
  for (let turn = 1; turn <= turns; turn++) {
    messages.push({ role: 'user', content: prose(`user ${turn}`, 700) });
    const answer = prose(`answer ${turn}`, 900);
    entries.push(
      makeEntry({
        step: turn,
        method: 'POST',
        url: 'https://model.test/v1/chat/completions',
        body: JSON.stringify({ model: 'm', messages, tools }),
        // As a server sends it: keys in its own order, not canonical, so kept as text.
        responseBody: JSON.stringify({ id: `c${turn}`, choices: [{ message: { role: 'assistant', content: answer } }] }),
      }),
    );
    messages.push({ role: 'assistant', content: answer });
  }
  return makeTape(entries);
}

/** Bodies the compact form must give back byte for byte though it cannot template them. */
function awkwardTape(): Tape {
  const repeatedText = prose('plain', 1200);
  const bigNumbers = `{"a":12345678901234567890,"pad":"${prose('n', 400)}","z":[1,2,3]}`;
  const lookalike = JSON.stringify({ items: [{ $payload: 'a'.repeat(64) }], pad: prose('look', 400) });
  const integerKeys = `{"1":"x","10":"${prose('keys', 400)}","9":"y"}`;
  const entries = [1, 2, 3].map((step) =>
    makeEntry({
      step,
      method: 'POST',
      url: `https://api.test/${step}`,
      headers: { 'content-type': 'text/plain' },
      body: repeatedText,
      response: {
        body: undefined,
        chunks: [
          { offsetMs: 0, body: encodeBody(Buffer.from(`data: ${repeatedText}\n\n`)) },
          { offsetMs: 3, body: encodeBody(Buffer.from([0xff, 0x00, 0xfe, ...Buffer.from(repeatedText)])) },
        ],
      },
    }),
  );
  for (const [i, body] of [bigNumbers, lookalike, integerKeys, bigNumbers, lookalike, integerKeys].entries()) {
    entries.push(makeEntry({ step: 4 + i, method: 'POST', url: 'https://api.test/json', body, responseBody: body }));
  }
  return { ...makeTape(entries), nondeterminism: { clock: { start: 1, deltas: [1] }, uuid: ['u'] } };
}

function compact(tape: Tape): any {
  return JSON.parse(serializeTape(tape, { compact: true }));
}

function refusal(text: string): TapeFormatError {
  try {
    parseTape(text, 'fixture.tape.json');
  } catch (error) {
    expect(error).toBeInstanceOf(TapeFormatError);
    return error as TapeFormatError;
  }
  throw new Error('parseTape accepted the tape');
}

describe('the compact tape file', () => {
  it('round-trips a growing conversation: parse(write(tape)) is the tape', () => {
    const tape = conversation(40);
    const text = serializeTape(tape, { compact: true });
    expect(parseTape(text, 'conversation.tape.json')).toEqual(tape);
    const file = JSON.parse(text);
    // Nothing in it needs version 3 (a call unanswered at the end): written so older readers take it.
    expect(file.version).toBe(2);
    expect(Object.keys(file.payloads).length).toBeGreaterThan(40);
    for (const key of Object.keys(file.payloads)) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores each shared payload once: the file is many times smaller than written out whole', () => {
    const tape = conversation(60);
    const whole = serializeTape(tape).length;
    const small = serializeTape(tape, { compact: true }).length;
    expect(whole / small).toBeGreaterThan(5);
  });

  it('keys each payload by the SHA-256 of its canonical JSON and lists them in order of first use', () => {
    const file = compact(conversation(12));
    for (const [key, value] of Object.entries(file.payloads)) {
      if (typeof value === 'string') expect(createHash('sha256').update(JSON.stringify(value)).digest('hex')).toBe(key);
    }
    const text = serializeTape(conversation(12), { compact: true });
    const firstUse = [...text.matchAll(/"\$payload": "([0-9a-f]{64})"/g)].map((m) => m[1]);
    const order = Object.keys(file.payloads);
    expect(order.map((key) => firstUse.indexOf(key))).toEqual([...order.map((key) => firstUse.indexOf(key))].sort((a, b) => a - b));
    // One reference per line, readable in a diff.
    expect(text).toMatch(/^ +\{ "\$payload": "[0-9a-f]{64}" \},?$/m);
  });

  it('gives back bodies it cannot template exactly: text, binary chunks, big integers, look-alike references, integer keys', () => {
    const tape = awkwardTape();
    const file = compact(tape);
    expect(parseTape(JSON.stringify(file), 'awkward.tape.json')).toEqual(tape);
    // The repeated plain-text body is stored once and referred to three times.
    expect(file.entries[0].request.normalized.body.data).toEqual({ $payload: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(file.entries[2].request.normalized.body.data).toEqual(file.entries[0].request.normalized.body.data);
  });

  it('leaves a tape with nothing repeated as it was, without a payloads table', () => {
    const tape = makeTape([makeEntry({ step: 1, method: 'GET', url: 'https://h.test/a' })]);
    const file = compact(tape);
    expect(file.payloads).toBeUndefined();
    expect(parseTape(JSON.stringify(file))).toEqual(tape);
  });

  it('still reads a version 1 tape file', () => {
    const file = new URL('./tapes/version-1.tape.json', import.meta.url);
    const text = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(text).version).toBe(1);
    const tape = parseTape(text, 'version-1.tape.json');
    expect(tape.version).toBe(TAPE_VERSION);
    expect(tape.entries.map((e) => e.response.body?.data)).toEqual(['{"answer":"hello"}', '{"answer":"goodbye"}']);
    expect(tape.nondeterminism?.uuid).toEqual(['0b6f1d9e-2c1a-4f7e-9d3b-6a5c4e3f2a10']);
    // And a changed version 1 file is still refused, naming its step.
    const edited = JSON.parse(text);
    edited.entries[1].response.body.data = '{"answer":"edited"}';
    const error = refusal(JSON.stringify(edited));
    expect(error.message).toContain('entries[1] (step 2) was changed');
  });

  it('refuses a hand-edited payload, naming every step that uses it', () => {
    const file = compact(conversation(8));
    // The system message: every request holds it.
    const system = prose('system', 2000);
    const [hash] = Object.entries(file.payloads).find(([, value]) => JSON.stringify(value).includes(system))!;
    file.payloads[hash] = JSON.parse(JSON.stringify(file.payloads[hash]).replace(system, `X${system.slice(1)}`));
    const error = refusal(JSON.stringify(file, null, 2));
    expect(error).toBeInstanceOf(TapeIntegrityError);
    expect(error.code).toBe('TRACETAPE_TAPE_MODIFIED');
    expect(error.message).toContain(`payloads["${hash}"] was changed (its content no longer hashes to its key), and it is used by steps 1-8 (entries[0] first)`);
    expect((error as TapeIntegrityError).entryIndex).toBe(0);
    // Accepted on purpose, the edit is what replays.
    const tape = parseTape(JSON.stringify(file), 'x', { allowModified: true });
    expect(tape.entries[7]!.request.normalized.body!.data).toContain(`"content":"X${prose('system', 2000).slice(1)}"`);
    // Re-signed, the edited tape reads without complaint and keeps the edit.
    const resigned = serializeTape(tape, { compact: true });
    expect(parseTape(resigned).entries[7]!.request.normalized.body!.data).toContain(`"content":"X`);
  });

  it('refuses references that do not hold together, with their JSON path', () => {
    const file = compact(conversation(6));
    const [hash] = Object.keys(file.payloads);
    const missing = structuredClone(file);
    delete missing.payloads[hash!];
    expect(refusal(JSON.stringify(missing)).message).toMatch(/refers to payloads\["[0-9a-f]{64}"\], which the tape does not hold/);

    const loop = structuredClone(file);
    loop.payloads[hash!] = { $payload: hash };
    expect(refusal(JSON.stringify(loop)).message).toContain('refers back to itself');

    const badKey = structuredClone(file);
    badKey.payloads['not-a-hash'] = 'x';
    expect(refusal(JSON.stringify(badKey)).message).toContain("a payload's key must be its hex SHA-256");

    const both = structuredClone(file);
    both.entries[0].request.normalized.body.data = '{}';
    expect(refusal(JSON.stringify(both)).message).toContain('entries[0].request.normalized.body has both "data" and "json"');

    const future = structuredClone(file);
    future.version = TAPE_VERSION + 1;
    expect(refusal(JSON.stringify(future)).message).toContain(`version ${TAPE_VERSION + 1} is not supported (this tracetape reads versions 1, 2, 3)`);
  });
});
