import { TapeFormatError } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { tapeFromRows } from '../src/tape-builder.js';
import { row, TRACE } from './span-rows.js';

const call = (format: string | undefined, response: object): Record<string, string> => ({
  'tracetape.kind': 'http',
  'tracetape.input.hash': 'a'.repeat(64),
  'tracetape.request': JSON.stringify({ normalized: { method: 'POST', url: 'https://queue.test/poll', headers: {} }, headers: [] }),
  'tracetape.response': JSON.stringify(response),
  ...(format === undefined ? {} : { 'tracetape.format': format }),
});
const answered = { status: 200, statusText: 'OK', headers: [], complete: true };
const unanswered = { status: 0, statusText: '', headers: [], complete: false, error: 'no answer yet when SIGINT stopped the process', unanswered: { signal: 'SIGINT' } };

describe('the tracetape.format of a recorded span', () => {
  it('reads format 1, format 2 (a call unanswered at the end) and spans without the attribute', () => {
    const tape = tapeFromRows(TRACE, [
      row('00000000000000a1', '', 'job', 0, undefined, { 'tracetape.run': 'process' }),
      row('00000000000000a2', '00000000000000a1', 'POST', 1, undefined, call('1', answered)),
      row('00000000000000a3', '00000000000000a1', 'POST', 2, undefined, call(undefined, answered)),
      row('00000000000000a4', '00000000000000a1', 'POST', 3, undefined, call('2', unanswered)),
    ]);
    expect(tape.entries.map((entry) => entry.response.unanswered?.signal ?? entry.response.status)).toEqual([200, 200, 'SIGINT']);
  });

  it('refuses a span a newer tracetape recorded, naming the span and what to do', () => {
    const rows = [row('00000000000000a1', '', 'job', 0, undefined, { 'tracetape.run': 'process' }), row('00000000000000a2', '00000000000000a1', 'POST', 1, undefined, call('3', answered))];
    expect(() => tapeFromRows(TRACE, rows)).toThrow(TapeFormatError);
    expect(() => tapeFromRows(TRACE, rows)).toThrow(/span 00000000000000a2.*tracetape\.format is "3".*reads 1, 2.*upgrade tracetape to read it/);
  });

  it('refuses an inbound exchange of a newer format too', () => {
    const inbound = {
      'tracetape.inbound.request': JSON.stringify({ method: 'POST', target: '/orders/42', headers: [], body: { encoding: 'utf8', data: '', size: 0 }, complete: true }),
      'tracetape.inbound.response': JSON.stringify(answered),
      'tracetape.format': '9',
    };
    expect(() => tapeFromRows(TRACE, [{ ...row('00000000000000b1', '', 'POST', 0, undefined, inbound), SpanKind: 'Server' }])).toThrow(/tracetape\.format is "9"/);
  });
});
