import { describe, expect, it } from 'vitest';
import { decodeBody, ReplayDivergenceError, TapeMatcher, TracetapeError, type TapeEntry } from '@tracetape/core';
import { call, makeEntry, makeTape, TRACE_ID } from './tape-fixtures.js';

function bodyText(entry: TapeEntry): string {
  return Buffer.from(decodeBody(entry.response.body!)).toString('utf8');
}

function divergence(fn: () => unknown): ReplayDivergenceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    return error as ReplayDivergenceError;
  }
  throw new Error('expected a ReplayDivergenceError, nothing was thrown');
}

const CHAT = 'https://api.llm.test/v1/chat/completions';
const chatBody = (second: string) =>
  JSON.stringify({
    model: 'm-1',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: second },
    ],
  });

describe('TapeMatcher: hash plus occurrence', () => {
  it('serves the k-th call with hash H the k-th recorded response for H, even when the tape is not in step order', () => {
    const spec = { method: 'GET', url: 'https://h.test/poll' };
    const entries = [
      makeEntry({ ...spec, step: 5, responseBody: 'third' }),
      makeEntry({ ...spec, step: 1, responseBody: 'first' }),
      makeEntry({ method: 'GET', url: 'https://h.test/other', step: 2, responseBody: 'other' }),
      makeEntry({ ...spec, step: 3, responseBody: 'second' }),
    ];
    const matcher = new TapeMatcher(makeTape(entries));
    const [req, hash] = call(spec);
    expect([1, 2, 3].map(() => bodyText(matcher.take(req, hash)))).toEqual(['first', 'second', 'third']);
    expect(matcher.report().served.map((s) => [s.callIndex, s.step])).toEqual([
      [1, 1],
      [2, 3],
      [3, 5],
    ]);
  });

  it('serves different requests in any order (racing calls)', () => {
    const a = { method: 'POST', url: CHAT, body: chatBody('a') };
    const b = { method: 'POST', url: CHAT, body: chatBody('b') };
    const c = { method: 'GET', url: 'https://h.test/models' };
    const matcher = new TapeMatcher(
      makeTape([makeEntry({ ...a, step: 1, responseBody: 'A' }), makeEntry({ ...b, step: 2, responseBody: 'B' }), makeEntry({ ...c, step: 3, responseBody: 'C' })]),
    );
    expect(bodyText(matcher.take(...call(c)))).toBe('C');
    expect(bodyText(matcher.take(...call(a)))).toBe('A');
    expect(bodyText(matcher.take(...call(b)))).toBe('B');
    expect(matcher.report().unconsumed).toEqual([]);
  });

  it('matches a request that differs only in volatile details (header case, key order, query order)', () => {
    const matcher = new TapeMatcher(
      makeTape([makeEntry({ step: 1, method: 'POST', url: 'https://h.test/x?b=2&a=1', body: '{"a":1,"b":2}', responseBody: 'ok' })]),
    );
    const entry = matcher.take(
      ...call({ method: 'post', url: 'https://H.test:443/x?a=1&b=2#f', headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'zz' }, body: '{ "b": 2, "a": 1 }' }),
    );
    expect(bodyText(entry)).toBe('ok');
  });

  it('refuses an extra repeat with reason "exhausted", naming the already served step', () => {
    const spec = { method: 'GET', url: 'https://h.test/once' };
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...spec, step: 1 })]));
    matcher.take(...call(spec));
    const error = divergence(() => matcher.take(...call(spec)));
    expect(error).toBeInstanceOf(TracetapeError);
    expect(error.code).toBe('TRACETAPE_REPLAY_DIVERGENCE');
    expect(error.details).toMatchObject({ reason: 'exhausted', callIndex: 2, closestStep: 1, diff: [] });
    expect(error.message).toContain('call #2');
    expect(error.message).toContain('more often than in the recording');
    expect(error.message).toContain('already served');
    expect(error.message).toContain('Nothing was sent to the network');
  });

  it('refuses an unknown request with reason "not-recorded", the closest entry and a field-level diff', () => {
    const matcher = new TapeMatcher(
      makeTape([
        makeEntry({ step: 1, method: 'GET', url: 'https://api.llm.test/v1/models' }),
        makeEntry({ step: 2, method: 'POST', url: CHAT, body: chatBody('What is 2+2?') }),
        makeEntry({ step: 3, method: 'POST', url: 'https://api.llm.test/v1/embeddings', body: chatBody('Bye now') }),
      ]),
    );
    const error = divergence(() => matcher.take(...call({ method: 'POST', url: CHAT, body: chatBody('Bye now') })));
    expect(error.details.reason).toBe('not-recorded');
    expect(error.details.callIndex).toBe(1);
    // Step 3 has the same body, but step 2 has the same method and path: that one is closest.
    expect(error.details.closestStep).toBe(2);
    expect(error.details.closest?.url).toBe(CHAT);
    expect(error.details.diff).toEqual([{ path: 'body.messages[1].content', recorded: '"What is 2+2?"', current: '"Bye now"' }]);
    expect(error.details.current.method).toBe('POST');
    expect(error.message).toContain('is not on the tape');
    expect(error.message).toContain(`closest recorded request: step 2, POST ${CHAT}`);
    expect(error.message).toMatch(/body\.messages\[1\]\.content\s+"What is 2\+2\?"\s+"Bye now"/);
  });

  it('prefers an unconsumed candidate over an identical consumed one', () => {
    const spec = (content: string) => ({ method: 'POST', url: CHAT, body: chatBody(content) });
    const matcher = new TapeMatcher(makeTape([makeEntry({ step: 1, ...spec('one') }), makeEntry({ step: 2, ...spec('two') })]));
    matcher.take(...call(spec('one')));
    const error = divergence(() => matcher.take(...call(spec('three'))));
    expect(error.details.closestStep).toBe(2);
  });

  it('says so when the tape holds nothing to compare with', () => {
    const matcher = new TapeMatcher(makeTape([]));
    const error = divergence(() => matcher.take(...call({ method: 'GET', url: 'https://h.test/' })));
    expect(error.details.reason).toBe('not-recorded');
    expect(error.details.closestStep).toBeUndefined();
    expect(error.details.diff).toEqual([]);
    expect(error.message).toContain('the tape holds no recorded requests');
  });
});

describe('TapeMatcher.report', () => {
  it('lists served, unconsumed, blocked and suppressed side effects', () => {
    const get = { method: 'GET', url: 'https://h.test/items' };
    const post = { method: 'POST', url: 'https://h.test/items', body: '{"name":"x"}' };
    const del = { method: 'DELETE', url: 'https://h.test/items/1' };
    const head = { method: 'HEAD', url: 'https://h.test/items' };
    const matcher = new TapeMatcher(
      makeTape([
        makeEntry({ ...get, step: 1 }),
        makeEntry({ ...post, step: 2, status: 201 }),
        makeEntry({ ...del, step: 3, status: 204 }),
        makeEntry({ ...head, step: 4 }),
        makeEntry({ method: 'GET', url: 'https://h.test/never', step: 5 }),
      ]),
    );
    matcher.take(...call(get));
    matcher.take(...call(post));
    divergence(() => matcher.take(...call({ method: 'PATCH', url: 'https://h.test/items/1', body: '{"name":"y"}' })));
    matcher.take(...call(head));
    divergence(() => matcher.take(...call(get)));

    const report = matcher.report();
    expect(report.traceId).toBe(TRACE_ID);
    expect(report.served).toEqual([
      { step: 1, callIndex: 1, method: 'GET', url: 'https://h.test/items', status: 200, sideEffect: false },
      { step: 2, callIndex: 2, method: 'POST', url: 'https://h.test/items', status: 201, sideEffect: true },
      { step: 4, callIndex: 4, method: 'HEAD', url: 'https://h.test/items', status: 200, sideEffect: false },
    ]);
    expect(report.sideEffectsSuppressed).toEqual([report.served[1]]);
    expect(report.unconsumed).toEqual([
      { step: 3, method: 'DELETE', url: 'https://h.test/items/1' },
      { step: 5, method: 'GET', url: 'https://h.test/never' },
    ]);
    expect(report.blocked).toHaveLength(2);
    expect(report.blocked[0]).toMatchObject({ callIndex: 3, method: 'PATCH', url: 'https://h.test/items/1', reason: 'not-recorded' });
    expect(report.blocked[0]!.diff.length).toBeGreaterThan(0);
    expect(report.blocked[1]).toMatchObject({ callIndex: 5, method: 'GET', reason: 'exhausted', closestStep: 1, diff: [] });
  });

  it('returns a snapshot that later calls do not change', () => {
    const spec = { method: 'GET', url: 'https://h.test/a' };
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...spec, step: 1 })]));
    const before = matcher.report();
    matcher.take(...call(spec));
    expect(before.served).toEqual([]);
    expect(before.unconsumed).toHaveLength(1);
    expect(matcher.report().served).toHaveLength(1);
  });
});

describe('TapeMatcher: an incomplete recording', () => {
  it('says the tape ended, with why, once a replay runs past the last stored step', () => {
    const spec = { method: 'POST', url: 'https://h.test/step' };
    const tape = { ...makeTape([makeEntry({ ...spec, step: 1, responseBody: 'one' })]), incomplete: { reason: 'process 42 was killed', lostSpans: 3 } };
    const matcher = new TapeMatcher(tape);
    const [req, hash] = call(spec);
    expect(bodyText(matcher.take(req, hash))).toBe('one');
    const error = divergence(() => matcher.take(...call({ method: 'POST', url: 'https://h.test/next' })));
    expect(error.details.tapeEnded).toMatchObject({ lastStep: 1, reason: 'process 42 was killed', lostSpans: 3 });
    expect(error.message).toMatch(/^the tape ended at call #2: POST https:\/\/h\.test\/next comes after step 1/);
    expect(error.message).toContain('incomplete (process 42 was killed, 3 span(s) lost)');
  });

  it('still calls a changed request a divergence while recorded steps remain', () => {
    const tape = { ...makeTape([makeEntry({ method: 'GET', url: 'https://h.test/a', step: 1 })]), incomplete: { reason: 'killed' } };
    const error = divergence(() => new TapeMatcher(tape).take(...call({ method: 'GET', url: 'https://h.test/b' })));
    expect(error.details.tapeEnded).toBeUndefined();
    expect(error.message).toMatch(/^replay diverged at call #1/);
  });
});

describe('TapeMatcher.peek', () => {
  it('tells the step the next call with a hash would take, and takes nothing', () => {
    const poll = { method: 'GET', url: 'https://queue.test/poll' };
    const matcher = new TapeMatcher(makeTape([makeEntry({ ...poll, step: 1 }), makeEntry({ ...poll, step: 2 })]));
    const [request, hash] = call(poll);
    expect(matcher.peek(hash)?.step).toBe(1);
    expect(matcher.peek(hash)?.step).toBe(1);
    expect(matcher.take(request, hash).step).toBe(1);
    expect(matcher.peek(hash)?.step).toBe(2);
    matcher.take(request, hash);
    expect(matcher.peek(hash)).toBeUndefined();
    expect(matcher.peek('0'.repeat(64))).toBeUndefined();
  });
});
