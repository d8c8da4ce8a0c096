import {
  encodeBody,
  inputHash,
  normalizeRequest,
  REDACTED,
  TAPE_FORMAT,
  TAPE_VERSION,
  type RecordedResponse,
  type Tape,
  type TapeEntry,
} from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { fixtureFileName } from '../src/fixture-name.js';
import { fixtureRedactor, redactTape } from '../src/fixture-redaction.js';

const TRACE_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function entry(step: number, requestHeaders: Array<[string, string]>, responseHeaders: Array<[string, string]>, hashHeaders?: string[]): TapeEntry {
  const raw = { method: 'POST', url: 'http://api.test/v1/answer', headers: requestHeaders, body: Buffer.from('{"q":1}') };
  const normalized = normalizeRequest(raw, hashHeaders ? { hashHeaders } : {});
  const response: RecordedResponse = {
    status: 200,
    statusText: 'OK',
    headers: responseHeaders,
    body: encodeBody(Buffer.from('{"ok":true}')),
    complete: true,
  };
  return {
    step,
    kind: 'http',
    spanId: String(step).padStart(16, '0'),
    spanName: 'POST',
    startTime: '2030-01-01T00:00:00.000Z',
    durationMs: 3,
    inputHash: inputHash(normalized),
    request: { normalized, headers: requestHeaders },
    response,
  };
}

function tape(entries: TapeEntry[], extra: Partial<Tape> = {}): Tape {
  return {
    format: TAPE_FORMAT,
    version: TAPE_VERSION,
    traceId: TRACE_ID,
    serviceName: 'agent',
    rootName: 'agent.mjs',
    recordedAt: '2030-01-01T00:00:00.000Z',
    entries,
    ...extra,
  };
}

describe('fixture redaction pass', () => {
  it('redacts secret headers an older recorder left in requests and responses, and says which', () => {
    const recorded = tape([
      entry(1, [['Authorization', 'Bearer sk-live-1'], ['content-type', 'application/json']], [['Set-Cookie', 'sid=abc'], ['content-type', 'application/json']]),
      entry(2, [['x-api-key', 'k-2'], ['content-type', 'application/json']], [['content-type', 'application/json']]),
    ]);
    const { tape: clean, redacted } = redactTape(recorded, fixtureRedactor({}));
    expect(clean.entries[0]!.request.headers).toEqual([['Authorization', REDACTED], ['content-type', 'application/json']]);
    expect(clean.entries[0]!.response.headers).toEqual([['Set-Cookie', REDACTED], ['content-type', 'application/json']]);
    expect(clean.entries[1]!.request.headers).toEqual([['x-api-key', REDACTED], ['content-type', 'application/json']]);
    expect(redacted).toEqual([
      { step: 1, where: 'request', header: 'authorization' },
      { step: 1, where: 'response', header: 'set-cookie' },
      { step: 2, where: 'request', header: 'x-api-key' },
    ]);
    expect(JSON.stringify(clean)).not.toMatch(/sk-live-1|sid=abc|k-2/);
  });

  it('leaves the recorded tape untouched and keeps everything replay matches on', () => {
    const recorded = tape([entry(1, [['authorization', 'Bearer sk-live-1'], ['content-type', 'application/json']], [])]);
    const before = structuredClone(recorded);
    const { tape: clean } = redactTape(recorded, fixtureRedactor({}));
    expect(recorded).toEqual(before);
    expect(clean.entries[0]!.inputHash).toBe(recorded.entries[0]!.inputHash);
    expect(clean.entries[0]!.request.normalized).toEqual(recorded.entries[0]!.request.normalized);
    expect(clean.entries[0]!.response.body).toEqual(recorded.entries[0]!.response.body);
  });

  it('does not count values the recorder already redacted', () => {
    const recorded = tape([entry(1, [['authorization', REDACTED], ['cookie', REDACTED]], [['set-cookie', REDACTED]])]);
    expect(redactTape(recorded, fixtureRedactor({})).redacted).toEqual([]);
  });

  it('adds TRACETAPE_REDACT_HEADERS to the defaults, any case, like the register hook', () => {
    const recorded = tape([entry(1, [['X-Upstream-Token', 't0k3n'], ['authorization', 'Bearer a']], [['X-Session', 's3ss']])]);
    const { tape: clean, redacted } = redactTape(recorded, fixtureRedactor({ TRACETAPE_REDACT_HEADERS: ' x-upstream-token , X-SESSION,' }));
    expect(clean.entries[0]!.request.headers).toEqual([['X-Upstream-Token', REDACTED], ['authorization', REDACTED]]);
    expect(clean.entries[0]!.response.headers).toEqual([['X-Session', REDACTED]]);
    expect(redacted.map((r) => r.header)).toEqual(['x-upstream-token', 'authorization', 'x-session']);
  });

  it('redacts a credential that was configured into the hash, but keeps the hash so the fixture still matches', () => {
    const recorded = tape([entry(1, [['authorization', 'Bearer sk-live-1'], ['content-type', 'application/json']], [], ['content-type', 'authorization'])]);
    expect(recorded.entries[0]!.request.normalized.headers.authorization).toBe('Bearer sk-live-1');
    const { tape: clean, redacted } = redactTape(recorded, fixtureRedactor({}));
    expect(clean.entries[0]!.request.normalized.headers).toEqual({ authorization: REDACTED, 'content-type': 'application/json' });
    expect(clean.entries[0]!.inputHash).toBe(recorded.entries[0]!.inputHash);
    expect(redacted).toContainEqual({ step: 1, where: 'request.normalized', header: 'authorization' });
    expect(JSON.stringify(clean)).not.toContain('sk-live-1');
  });

  it('redacts the inbound exchange of a server trace too', () => {
    const inboundEntry = entry(0, [['cookie', 'session=abc']], [['set-cookie', 'session=def']]);
    const inbound = { request: { ...inboundEntry.request, target: '/v1/answer', complete: true }, response: inboundEntry.response };
    const recorded = tape([], { inbound });
    const { tape: clean, redacted } = redactTape(recorded, fixtureRedactor({}));
    expect(clean.inbound!.request.headers).toEqual([['cookie', REDACTED]]);
    expect(clean.inbound!.request.target).toBe('/v1/answer');
    expect(clean.inbound!.response.headers).toEqual([['set-cookie', REDACTED]]);
    expect(redacted).toEqual([
      { step: 'inbound', where: 'request', header: 'cookie' },
      { step: 'inbound', where: 'response', header: 'set-cookie' },
    ]);
  });
});

describe('fixture file name', () => {
  it('is the run name as a slug plus the first 8 characters of the trace ID', () => {
    expect(fixtureFileName({ rootName: 'fixture-agent.mjs', traceId: TRACE_ID })).toBe('fixture-agent-a1b2c3d4.tape.json');
    expect(fixtureFileName({ rootName: 'POST /v1/Refunds', traceId: TRACE_ID })).toBe('post-v1-refunds-a1b2c3d4.tape.json');
    expect(fixtureFileName({ rootName: 'nightly triage', traceId: TRACE_ID }, 'Refund: double charge')).toBe('refund-double-charge-a1b2c3d4.tape.json');
  });

  it('falls back to "run" when the name has nothing usable, and stays short', () => {
    expect(fixtureFileName({ rootName: '', traceId: TRACE_ID })).toBe('run-a1b2c3d4.tape.json');
    expect(fixtureFileName({ rootName: '***', traceId: TRACE_ID })).toBe('run-a1b2c3d4.tape.json');
    const long = fixtureFileName({ rootName: 'x'.repeat(59) + ' y'.repeat(30), traceId: TRACE_ID });
    expect(long.length).toBeLessThanOrEqual(60 + '-a1b2c3d4.tape.json'.length);
    expect(long).not.toMatch(/--/);
  });
});
