import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REDACTED_HEADERS,
  diffRequests,
  InvalidTraceIdError,
  parseTape,
  parseTraceId,
  REDACTED,
  Redactor,
  renderDiffTable,
  serializeTape,
  TapeFormatError,
  type NormalizedRequest,
} from '@tracetape/core';
import { makeEntry, makeTape, TRACE_ID } from './tape-fixtures.js';

function req(partial: Partial<NormalizedRequest> & { json?: unknown }): NormalizedRequest {
  const out: NormalizedRequest = { method: partial.method ?? 'POST', url: partial.url ?? 'https://h.test/v1/chat', headers: partial.headers ?? {} };
  if (partial.json !== undefined) {
    const data = JSON.stringify(partial.json);
    out.body = { encoding: 'utf8', data, size: data.length };
  } else if (partial.body) out.body = partial.body;
  return out;
}

describe('diffRequests', () => {
  it('names each differing field with recorded and current values', () => {
    const recorded = req({
      url: 'https://h.test/v1/chat?model=a&keep=1',
      headers: { 'content-type': 'application/json' },
      json: { messages: [{ content: 'a' }, { content: 'b' }], temperature: 0.2, stream: true },
    });
    const current = req({
      method: 'PUT',
      url: 'https://other.test/v2/chat?model=b&keep=1',
      headers: { 'content-type': 'text/plain' },
      json: { messages: [{ content: 'a' }, { content: 'c' }], temperature: 0.2, tools: [] },
    });
    const diff = diffRequests(recorded, current);
    expect(diff).toEqual(
      expect.arrayContaining([
        { path: 'method', recorded: 'POST', current: 'PUT' },
        { path: 'url.origin', recorded: 'https://h.test', current: 'https://other.test' },
        { path: 'url.path', recorded: '/v1/chat', current: '/v2/chat' },
        { path: 'url.query.model', recorded: 'a', current: 'b' },
        { path: 'headers.content-type', recorded: 'application/json', current: 'text/plain' },
        { path: 'body.messages[1].content', recorded: '"b"', current: '"c"' },
        { path: 'body.stream', recorded: 'true' },
        { path: 'body.tools', current: '[]' },
      ]),
    );
    expect(diff).toHaveLength(8);
    // A field missing on one side has no key for that side (rendered as "(absent)").
    expect(diff.find((d) => d.path === 'body.stream')).not.toHaveProperty('current');
  });

  it('returns nothing for equal requests', () => {
    const a = req({ json: { a: [1, { b: null }] } });
    expect(diffRequests(a, structuredClone(a))).toEqual([]);
  });

  it('summarises binary bodies and quotes text bodies', () => {
    const bin = (size: number) => req({ body: { encoding: 'base64', data: Buffer.alloc(size, 0xff).toString('base64'), size } });
    expect(diffRequests(bin(3), bin(4))).toEqual([{ path: 'body', recorded: '<3 bytes of binary>', current: '<4 bytes of binary>' }]);
    const text = (data: string) => req({ body: { encoding: 'utf8', data, size: data.length } });
    expect(diffRequests(text('hello there'), text('hello world'))).toEqual([{ path: 'body', recorded: '"hello there"', current: '"hello world"' }]);
  });

  it('clips long values', () => {
    const long = 'x'.repeat(1000);
    const [d] = diffRequests(req({ json: { p: long } }), req({ json: { p: 'short' } }));
    expect(d!.recorded!.length).toBeLessThanOrEqual(160);
    expect(d!.recorded!.endsWith('…')).toBe(true);
    expect(d!.current).toBe('"short"');
  });
});

describe('renderDiffTable', () => {
  it('renders a header and one aligned row per field, absent values spelled out', () => {
    const table = renderDiffTable([
      { path: 'body.messages[1].content', recorded: '"hi"', current: '"bye"' },
      { path: 'method', recorded: 'GET' },
      { path: 'url.query.x', current: '1' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.startsWith('  '))).toBe(true);
    expect(lines[0]!.trim().split(/\s+/)).toEqual(['field', 'recorded', 'current']);
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['body.messages[1].content', '"hi"', '"bye"']);
    expect(lines[2]!.trim().split(/\s+/)).toEqual(['method', 'GET', '(absent)']);
    expect(lines[3]!.trim().split(/\s+/)).toEqual(['url.query.x', '(absent)', '1']);
    // Columns line up: the "recorded" column starts at the same offset on every line.
    const recordedColumn = lines[0]!.indexOf('recorded');
    expect(lines[1]!.indexOf('"hi"')).toBe(recordedColumn);
    expect(lines[2]!.indexOf('GET')).toBe(recordedColumn);
    expect(lines[3]!.indexOf('(absent)')).toBe(recordedColumn);
    const currentColumn = lines[0]!.indexOf('current');
    expect(lines[1]!.indexOf('"bye"')).toBe(currentColumn);
  });

  it('renders just the header for no differences', () => {
    expect(renderDiffTable([]).trim().split(/\s+/)).toEqual(['field', 'recorded', 'current']);
  });
});

describe('parseTape', () => {
  const good = makeTape([
    makeEntry({ step: 1, method: 'GET', url: 'https://h.test/a' }),
    makeEntry({ step: 2, method: 'POST', url: 'https://h.test/b', body: '{"x":1}' }),
    makeEntry({ step: 3, method: 'GET', url: 'https://h.test/c' }),
  ]);

  function formatError(text: string, where?: string): TapeFormatError {
    try {
      parseTape(text, where);
    } catch (error) {
      expect(error).toBeInstanceOf(TapeFormatError);
      expect((error as TapeFormatError).code).toBe('TRACETAPE_TAPE_INVALID');
      return error as TapeFormatError;
    }
    throw new Error('parseTape accepted an invalid tape');
  }

  const mutate = (fn: (tape: any) => void) => {
    const copy = structuredClone(good) as any;
    fn(copy);
    return JSON.stringify(copy);
  };

  it('reads back what serializeTape wrote', () => {
    expect(parseTape(serializeTape(good))).toEqual(good);
  });

  it('rejects text that is not JSON, naming the file', () => {
    const error = formatError('{"format": "tracetape.tape",', 'run.tape.json');
    expect(error.message).toContain('run.tape.json');
    expect(error.message).toContain('not JSON');
  });

  it('rejects JSON that is not an object', () => {
    expect(formatError('[]').message).toContain('expected a JSON object');
    expect(formatError('null').message).toContain('expected a JSON object');
  });

  it('rejects a wrong format or version', () => {
    expect(formatError(mutate((t) => (t.format = 'har'))).message).toContain('"format"');
    expect(formatError(mutate((t) => (t.version = 4))).message).toContain('version 4 is not supported');
    expect(formatError(mutate((t) => delete t.version)).message).toContain('version undefined');
  });

  it('rejects a bad traceId', () => {
    for (const traceId of ['abc', TRACE_ID.toUpperCase(), `${TRACE_ID}0`, 42]) {
      expect(formatError(mutate((t) => (t.traceId = traceId))).message).toContain('traceId must be 32 lower-case hex characters');
    }
  });

  it('rejects bad entries, naming which one', () => {
    expect(formatError(mutate((t) => (t.entries = {}))).message).toContain('entries must be an array');
    const cases: Array<[(t: any) => void, string]> = [
      [(t) => (t.entries[2] = 'nope'), 'entries[2] must be an object'],
      [(t) => delete t.entries[2].step, 'entries[2].step must be an integer'],
      [(t) => (t.entries[2].inputHash = 'abc'), 'entries[2].inputHash must be a hex SHA-256'],
      [(t) => delete t.entries[2].request.normalized, 'entries[2].request.normalized must be an object'],
      [(t) => delete t.entries[2].request.normalized.url, 'entries[2].request.normalized.url must be a string'],
      [(t) => delete t.entries[2].response.status, 'entries[2].response.status must be an integer'],
      [(t) => (t.entries[2].response.headers = {}), 'entries[2].response.headers must be an array'],
    ];
    for (const [fn, problem] of cases) {
      const error = formatError(mutate(fn), 'tape.json');
      expect(error.message).toContain('Invalid tape (tape.json): entries[2]');
      expect(error.message).toContain(problem);
    }
  });
});

describe('parseTraceId', () => {
  it('accepts any case and surrounding whitespace, returning lower case', () => {
    expect(parseTraceId(TRACE_ID.toUpperCase())).toBe(TRACE_ID);
    expect(parseTraceId(`  ${TRACE_ID}\n`)).toBe(TRACE_ID);
  });

  it('rejects malformed and all-zero IDs', () => {
    for (const bad of ['', TRACE_ID.slice(1), `${TRACE_ID}a`, TRACE_ID.replace(/.$/, 'g'), '0'.repeat(32), `00-${TRACE_ID}-b7ad6b7169203331-01`]) {
      expect(() => parseTraceId(bad)).toThrow(InvalidTraceIdError);
    }
    try {
      parseTraceId('nope');
    } catch (error) {
      expect((error as InvalidTraceIdError).code).toBe('TRACETAPE_INVALID_TRACE_ID');
      expect((error as Error).message).toContain('"nope"');
    }
  });
});

describe('Redactor', () => {
  const sent: Array<[string, string]> = [
    ['Authorization', 'Bearer sk-1'],
    ['PROXY-AUTHORIZATION', 'Basic eA=='],
    ['Cookie', 'sid=1'],
    ['set-cookie', 'sid=2'],
    ['X-Api-Key', 'k'],
    ['api-key', 'k2'],
    ['Content-Type', 'application/json'],
    ['x-request-id', 'r1'],
  ];

  it('replaces the default headers case-insensitively and keeps the rest in order', () => {
    const redactor = new Redactor();
    expect(redactor.headers(sent)).toEqual([
      ['Authorization', REDACTED],
      ['PROXY-AUTHORIZATION', REDACTED],
      ['Cookie', REDACTED],
      ['set-cookie', REDACTED],
      ['X-Api-Key', REDACTED],
      ['api-key', REDACTED],
      ['Content-Type', 'application/json'],
      ['x-request-id', 'r1'],
    ]);
    for (const name of DEFAULT_REDACTED_HEADERS) expect(redactor.isRedactedHeader(name.toUpperCase())).toBe(true);
    expect(REDACTED).toBe('[REDACTED]');
  });

  it('honours a custom list (any case)', () => {
    const redactor = new Redactor({ headers: ['X-Request-ID', ...DEFAULT_REDACTED_HEADERS] });
    const out = redactor.headers(sent);
    expect(out).toContainEqual(['x-request-id', REDACTED]);
    expect(out).toContainEqual(['Authorization', REDACTED]);
    expect(out).toContainEqual(['Content-Type', 'application/json']);

    const only = new Redactor({ headers: ['x-secret'] });
    expect(only.headers([['X-SECRET', 's'], ['content-type', 'text/plain']])).toEqual([
      ['X-SECRET', REDACTED],
      ['content-type', 'text/plain'],
    ]);
  });
});
