import { fileVersionOf, parseTape, serializeTape, TapeFormatError, TapeMatcher, type Tape } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { call, makeEntry, makeTape } from './tape-fixtures.js';

const unanswered = { status: 0, headers: [], complete: false, error: 'no answer yet when SIGTERM stopped the process' };

describe('a tape step its recording never answered', () => {
  it('keeps how the process ended through a file', () => {
    const tape = makeTape([makeEntry({ step: 1, method: 'POST', url: 'https://queue.test/poll', response: { ...unanswered, unanswered: { signal: 'SIGTERM', signalAt: '2030-01-01T00:00:02.000Z' } } })]);
    expect(parseTape(serializeTape(tape)).entries[0]!.response.unanswered).toEqual({ signal: 'SIGTERM', signalAt: '2030-01-01T00:00:02.000Z' });
  });

  it('is written as version 3, which a reader of versions 1 and 2 refuses; a tape without one stays version 2', () => {
    const poll = { step: 1, method: 'POST', url: 'https://queue.test/poll' };
    const stopped = serializeTape(makeTape([makeEntry({ ...poll, response: { ...unanswered, unanswered: { signal: 'SIGINT' } } })]), { compact: true });
    expect(JSON.parse(stopped).version).toBe(3);
    expect(parseTape(stopped).entries[0]!.response.unanswered).toEqual({ signal: 'SIGINT' });
    expect(JSON.parse(serializeTape(makeTape([makeEntry(poll)]))).version).toBe(2);
    // A server's request in flight at the end: its inbound exchange alone makes it version 3.
    const inbound = { request: { normalized: { method: 'GET', url: 'http://127.0.0.1/orders', headers: {} }, headers: [], target: '/orders', complete: true }, response: { ...unanswered, unanswered: { signal: 'SIGINT' as const } } };
    expect(fileVersionOf({ entries: [], inbound } as unknown as Tape)).toBe(3);
  });

  it('refuses a signal a recording never keeps, naming the field', () => {
    const tape = makeTape([makeEntry({ step: 1, method: 'POST', url: 'https://queue.test/poll', response: unanswered })]);
    const text = serializeTape(tape).replace('"complete": false', '"complete": false, "unanswered": { "signal": "SIGKILL" }');
    expect(text).toContain('SIGKILL');
    expect(() => parseTape(text)).toThrow(TapeFormatError);
    expect(() => parseTape(text)).toThrow(/entries\[0\]\.response\.unanswered\.signal.*SIGINT, SIGTERM, SIGHUP/);
  });
});

describe('TapeMatcher.takeOrGoLive (--then-live) and a step its recording never answered', () => {
  it('goes live where the recording stopped, the step used up rather than left unconsumed', () => {
    const poll = { method: 'POST', url: 'https://queue.test/poll', body: 'next?' };
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...poll, step: 1 }), makeEntry({ ...poll, step: 2, response: { ...unanswered, unanswered: { signal: 'SIGINT' } } })]));
    const [request, hash] = call(poll);
    expect(matcher.takeOrGoLive(request, hash)?.step).toBe(1);
    expect(matcher.takeOrGoLive(request, hash)).toBeUndefined();
    const report = matcher.report();
    expect(report.live?.map((live) => live.reason)).toEqual(['unanswered']);
    expect(report.unconsumed).toEqual([]);
  });
});
