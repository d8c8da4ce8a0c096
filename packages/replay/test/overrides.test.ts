import { decodeBody, encodeBody, TAPE_FORMAT, TAPE_VERSION, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { applyOverrides, splitStream, type ResponseOverride } from '../src/overrides.js';

function entry(step: number, response: Partial<RecordedResponse>): TapeEntry {
  return {
    step,
    kind: 'http',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: 'POST',
    startTime: '2030-01-01T00:00:00.000Z',
    durationMs: 1,
    inputHash: String(step).repeat(64).slice(0, 64),
    request: { normalized: { method: 'POST', url: 'http://api.test/v1', headers: {} }, headers: [] },
    response: { status: 200, statusText: 'OK', headers: [['content-type', 'application/json']], complete: true, ...response },
  };
}

const tape: Tape = {
  format: TAPE_FORMAT,
  version: TAPE_VERSION,
  traceId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  serviceName: 'svc',
  rootName: 'app.mjs',
  recordedAt: '2030-01-01T00:00:00.000Z',
  entries: [
    entry(1, { body: encodeBody(Buffer.from('{"a":1}')), contentEncoding: 'gzip', headers: [['content-type', 'application/json'], ['x-request-id', 'r1']] }),
    entry(2, {
      headers: [['content-type', 'text/event-stream']],
      chunks: [{ offsetMs: 0, body: encodeBody(Buffer.from('data: {"x":1}\n\n')) }],
    }),
  ],
};

const text = (body: { encoding: 'utf8' | 'base64'; data: string; size: number } | undefined) => Buffer.from(decodeBody(body!)).toString('utf8');

describe('applyOverrides', () => {
  it('replaces the body of a plain step, keeps recorded status and headers, and marks the entry', () => {
    const override: ResponseOverride = { step: 1, source: 'answer.txt', body: Buffer.from('hello') };
    const result = applyOverrides(tape, [override]);
    const response = result.entries[0]!.response;
    expect(text(response.body)).toBe('hello');
    expect(response.status).toBe(200);
    expect(response.headers).toEqual(tape.entries[0]!.response.headers);
    // The new body is plain: it must not be served as gzip.
    expect(response.contentEncoding).toBeUndefined();
    expect(result.entries[0]!.override).toEqual({ source: 'answer.txt' });
    expect(result.entries[1]).toBe(tape.entries[1]);
    expect(tape.entries[0]!.override).toBeUndefined();
  });

  it('merges envelope headers over the recorded ones and takes the status text from the status', () => {
    const result = applyOverrides(tape, [{ step: 1, source: 'e.json', status: 429, headers: [['X-Request-Id', 'r2']] }]);
    const response = result.entries[0]!.response;
    expect(response.status).toBe(429);
    expect(response.statusText).toBe('Too Many Requests');
    expect(response.headers).toEqual([['content-type', 'application/json'], ['X-Request-Id', 'r2']]);
    // No body in the envelope: the recorded one, with its recorded encoding.
    expect(text(response.body)).toBe('{"a":1}');
    expect(response.contentEncoding).toBe('gzip');
  });

  it('serves a raw override of a streamed step as server-sent events, one chunk per event', () => {
    const sse = 'data: {"x":"what"}\n\ndata: {"x":"if"}\n\ndata: [DONE]\n\n';
    const response = applyOverrides(tape, [{ step: 2, source: 's.txt', body: Buffer.from(sse) }]).entries[1]!.response;
    expect(response.body).toBeUndefined();
    expect(response.chunks!.map((chunk) => text(chunk.body))).toEqual(['data: {"x":"what"}\n\n', 'data: {"x":"if"}\n\n', 'data: [DONE]\n\n']);
  });

  it('refuses a step the tape does not hold and a step given twice', () => {
    expect(() => applyOverrides(tape, [{ step: 3, source: 'x' }])).toThrow(/has no step 3 \(its steps are 1 to 2\)/);
    expect(() => applyOverrides(tape, [{ step: 1, source: 'a' }, { step: 1, source: 'b' }])).toThrow(/step 1 is overridden twice/);
  });
});

describe('splitStream', () => {
  it('cuts NDJSON after each line and keeps a trailing piece without a separator', () => {
    expect(splitStream('{"a":1}\n{"b":2}', 'application/x-ndjson').map((chunk) => text(chunk.body))).toEqual(['{"a":1}\n', '{"b":2}']);
  });
});
