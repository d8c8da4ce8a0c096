import { describe, expect, it } from 'vitest';
import {
  checkContract,
  contractVerdict,
  observedSideEffects,
  urlMatches,
  type ClauseResult,
  type Contract,
  type ContractExpectations,
  type ObservedRun,
  type ObservedSideEffect,
  type ReplayReport,
} from '@tracetape/core';
import { makeEntry, makeTape } from './tape-fixtures.js';
import { replay, sqlEntry } from './contract-fixtures.js';

const BASE = 'http://127.0.0.1:4020';

function contract(expect: ContractExpectations): Contract {
  return { format: 'tracetape.contract', version: 1, fixture: 'f', tape: 'f.tape.json', command: ['node', 'app.js'], expect };
}

function run(partial: Partial<ObservedRun> & { files?: Record<string, string> } = {}): ObservedRun {
  const files = partial.files ?? {};
  return {
    exitCode: partial.exitCode ?? 0,
    stdout: partial.stdout ?? '',
    readFile: partial.readFile ?? ((path) => files[path]),
    sideEffects: partial.sideEffects ?? [],
  };
}

const only = (results: ClauseResult[]) => {
  expect(results).toHaveLength(1);
  return results[0]!;
};

const effect = (step: number, method: string, url: string, more: Partial<ObservedSideEffect> = {}): ObservedSideEffect => ({
  door: 'http',
  method,
  url,
  step,
  how: 'served',
  ...more,
});

describe('checkContract: exit status', () => {
  it('passes on the expected status and fails on another, saying what it was', () => {
    const c = contract({ exitCode: 0 });
    expect(only(checkContract(c, run({ exitCode: 0 })))).toMatchObject({ kind: 'exit-code', clause: 'exit status 0', passed: true });
    expect(only(checkContract(c, run({ exitCode: 1 })))).toMatchObject({ passed: false, detail: 'exited 1' });
  });

  it('checks nothing when the contract states no status', () => {
    expect(checkContract(contract({}), run({ exitCode: 3 }))).toEqual([]);
  });
});

describe('checkContract: outputs', () => {
  it('contains: one clause per string', () => {
    const results = checkContract(contract({ outputs: [{ from: 'stdout', contains: ['refund', 'issued'] }] }), run({ stdout: 'refund pending\n' }));
    expect(results.map((r) => [r.clause, r.passed])).toEqual([
      ['stdout contains "refund"', true],
      ['stdout contains "issued"', false],
    ]);
    expect(results[1]!.detail).toBe('not found in stdout: "refund pending\\n"');
  });

  it('matches: a regular expression anywhere in the output', () => {
    const c = contract({ outputs: [{ from: 'stdout', matches: ['issued \\$\\d+'] }] });
    expect(only(checkContract(c, run({ stdout: 'refund issued $5 to o-1' })))).toMatchObject({ passed: true, detail: 'matched "issued $5"' });
    expect(only(checkContract(c, run({ stdout: 'refund issued twice' }))).passed).toBe(false);
  });

  it('json on stdout: the last line that parses as JSON', () => {
    const stdout = 'looking up order\n{"refund":{"status":"pending"}}\nretrying\n{"refund":{"status":"issued","id":"re_1","amount_cents":500}}\ndone\n';
    const c = contract({
      outputs: [
        {
          from: 'stdout',
          json: [
            { path: 'refund.status', equals: 'issued' },
            { path: 'refund.id', matches: '^re_' },
            { path: 'refund', hasKeys: ['id', 'amount_cents'] },
            { path: 'refund.amount_cents', exists: true },
            { path: 'refund.error', exists: false },
          ],
        },
      ],
    });
    const results = checkContract(c, run({ stdout }));
    expect(results.every((r) => r.passed)).toBe(true);
    expect(results[0]!.clause).toBe('stdout JSON: refund.status equals "issued"');
  });

  it('json: each check fails with what was there', () => {
    const c = contract({
      outputs: [
        {
          from: 'out/result.json',
          json: [
            { path: 'refund.status', equals: 'issued' },
            { path: 'refund.id', matches: '^re_' },
            { path: 'refund', hasKeys: ['id', 'amount_cents'] },
            { path: 'refund.items[0].sku', exists: true },
            { path: 'refund.status', exists: false },
            { path: '$', equals: { refund: { status: 'pending', id: 7 } } },
          ],
        },
      ],
    });
    const results = checkContract(c, run({ files: { 'out/result.json': '{"refund":{"id":7,"status":"pending"}}' } }));
    expect(results.map((r) => [r.passed, r.detail])).toEqual([
      [false, 'is "pending"'],
      [false, 'is 7, not a string'],
      [false, 'lacks amount_cents (has id, status)'],
      [false, 'is missing'],
      [false, 'is "pending"'],
      // Deep-equal, whatever the key order.
      [true, 'is {"refund":{"id":7,"status":"pending"}}'],
    ]);
  });

  it('a file not written, or not JSON, fails its checks saying so', () => {
    const c = contract({ outputs: [{ from: 'out/result.json', contains: ['x'], json: [{ path: 'a', exists: true }] }, { from: 'out/other.txt' }] });
    const missing = checkContract(c, run());
    expect(missing.map((r) => [r.clause, r.passed, r.detail])).toEqual([
      ['out/result.json contains "x"', false, 'out/result.json was not written'],
      ['out/result.json: a exists', false, 'out/result.json was not written'],
      ['out/other.txt is written', false, 'out/other.txt was not written'],
    ]);
    const broken = checkContract(c, run({ files: { 'out/result.json': 'x = {', 'out/other.txt': 'hi' } }));
    expect(broken[1]).toMatchObject({ passed: false });
    expect(broken[1]!.detail).toMatch(/^out\/result\.json is not JSON \(/);
    expect(broken[2]).toMatchObject({ passed: true });
  });

  it('stdout with no JSON at all fails json checks', () => {
    const result = only(checkContract(contract({ outputs: [{ from: 'stdout', json: [{ path: 'a', exists: true }] }] }), run({ stdout: 'all good\n3\n' })));
    expect(result.passed).toBe(false);
    expect(result.detail).toContain('stdout holds no JSON');
  });
});

describe('checkContract: side effects', () => {
  const refunds = { allowed: [{ method: 'POST', url: '*/refunds', max: 1 }] };

  it('allowed: at most max distinct effects, naming the steps', () => {
    const c = contract({ sideEffects: refunds });
    const once = checkContract(c, run({ sideEffects: [effect(3, 'POST', `${BASE}/refunds`)] }));
    expect(once.map((r) => [r.kind, r.clause, r.passed])).toEqual([
      ['allowed-side-effect', 'POST */refunds at most once', true],
      ['unexpected-side-effect', 'no side effects beyond the allowed ones', true],
    ]);
    const twice = checkContract(c, run({ sideEffects: [effect(3, 'POST', `${BASE}/refunds`), effect(5, 'POST', `${BASE}/refunds`)] }));
    expect(twice[0]).toMatchObject({ passed: false });
    expect(twice[0]!.detail).toBe(`2 distinct effects: step 3 (POST ${BASE}/refunds); step 5 (POST ${BASE}/refunds)`);
  });

  it('a retry carrying the same idempotency key counts once; different keys count apart', () => {
    const c = contract({ sideEffects: refunds });
    const retried = checkContract(c, run({ sideEffects: [effect(3, 'POST', `${BASE}/refunds`, { idempotencyKey: 'k' }), effect(5, 'POST', `${BASE}/refunds`, { idempotencyKey: 'k' })] }));
    expect(retried[0]).toMatchObject({ passed: true });
    expect(retried[0]!.detail).toContain('retried as step 5');
    expect(retried[0]!.detail).toContain('one effect');
    const twoKeys = checkContract(c, run({ sideEffects: [effect(3, 'POST', `${BASE}/refunds`, { idempotencyKey: 'k1' }), effect(5, 'POST', `${BASE}/refunds`, { idempotencyKey: 'k2' })] }));
    expect(twoKeys[0]).toMatchObject({ passed: false });
  });

  it('max defaults to 1, and max 0 allows none', () => {
    const two = [effect(1, 'PUT', `${BASE}/a`), effect(2, 'PUT', `${BASE}/a`)];
    expect(checkContract(contract({ sideEffects: { allowed: [{ method: 'PUT' }] } }), run({ sideEffects: two }))[0]!.passed).toBe(false);
    expect(checkContract(contract({ sideEffects: { allowed: [{ method: 'PUT', max: 2 }] } }), run({ sideEffects: two }))[0]!.passed).toBe(true);
    expect(checkContract(contract({ sideEffects: { allowed: [{ method: 'PUT', max: 0 }] } }), run({ sideEffects: [] }))[0]).toMatchObject({ clause: 'no PUT', passed: true });
  });

  it('forbidden: any match fails, naming it; a table rule matches database writes', () => {
    const c = contract({ sideEffects: { forbidden: [{ method: 'DELETE' }, { door: 'postgres', table: 'orders' }], others: 'allow' } });
    const clean = checkContract(c, run({ sideEffects: [effect(1, 'POST', `${BASE}/refunds`)] }));
    expect(clean.map((r) => [r.kind, r.clause, r.passed])).toEqual([
      ['forbidden-side-effect', 'no DELETE', true],
      ['forbidden-side-effect', 'no postgres write to table orders', true],
    ]);
    const dirty = checkContract(
      c,
      run({
        sideEffects: [
          effect(2, 'DELETE', `${BASE}/orders/o-1`),
          effect(4, 'UPDATE', 'postgres://db:5432/shop', { door: 'postgres', table: 'ORDERS' }),
          effect(5, 'UPDATE', 'postgres://db:5432/shop', { door: 'postgres', table: 'audit' }),
        ],
      }),
    );
    expect(dirty.map((r) => [r.passed, r.detail])).toEqual([
      [false, `step 2 (DELETE ${BASE}/orders/o-1)`],
      [false, 'step 4 (UPDATE postgres://db:5432/shop (table ORDERS))'],
    ]);
  });

  it('others: forbid (the default) fails on an effect no rule allows; allow lets it be', () => {
    const effects = [effect(3, 'POST', `${BASE}/refunds`), effect(4, 'POST', `${BASE}/emails`), effect(6, 'DELETE', `${BASE}/x`, { how: 'blocked', step: undefined })];
    const forbid = checkContract(contract({ sideEffects: { ...refunds, forbidden: [{ method: 'DELETE' }] } }), run({ sideEffects: effects }));
    const unexpected = forbid.find((r) => r.kind === 'unexpected-side-effect')!;
    // The DELETE is reported by its forbidden rule, not twice.
    expect(unexpected).toMatchObject({ passed: false, detail: `step 4 (POST ${BASE}/emails)` });
    const allow = checkContract(contract({ sideEffects: { ...refunds, others: 'allow' } }), run({ sideEffects: effects }));
    expect(allow.map((r) => r.kind)).toEqual(['allowed-side-effect']);
    // An empty section forbids every side effect.
    expect(only(checkContract(contract({ sideEffects: {} }), run({ sideEffects: effects.slice(0, 1) })))).toMatchObject({ clause: 'no side effects', passed: false });
  });
});

describe('urlMatches', () => {
  it.each([
    ['*/refunds', `${BASE}/refunds`, true],
    ['/refunds', `${BASE}/refunds`, true],
    // A glob without a host is matched against the path, whatever the query.
    ['/refunds', `${BASE}/refunds?order=1`, true],
    ['/refunds?order=2', `${BASE}/refunds?order=1`, false],
    ['/refunds*', `${BASE}/refunds?order=1`, true],
    ['*/refunds', `${BASE}/v1/refunds`, true],
    ['/refunds', `${BASE}/v1/refunds`, false],
    ['https://api.stripe.com/*', 'https://api.stripe.com/v1/refunds', true],
    ['https://api.stripe.com/*', `${BASE}/v1/refunds`, false],
    ['*/orders/*/cancel', `${BASE}/orders/o-1/cancel`, true],
    ['*/refunds', `${BASE}/refunds/re_1`, false],
    ['/a.b', `${BASE}/axb`, false],
  ])('%s against %s: %s', (glob, url, expected) => {
    expect(urlMatches(glob, url)).toBe(expected);
  });
});

describe('contractVerdict', () => {
  const tape = makeTape([
    makeEntry({ step: 1, method: 'GET', url: `${BASE}/orders/o-1` }),
    makeEntry({ step: 2, method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":500}' }),
  ]);
  const both = [
    { method: 'GET', url: `${BASE}/orders/o-1` },
    { method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":500}' },
  ];
  const c = contract({ exitCode: 0, sideEffects: { allowed: [{ method: 'POST', url: '*/refunds' }] } });
  const judge = (report: ReplayReport | undefined, mode: 'cassette' | 'strict' | 'live-read', exitCode = 0) =>
    contractVerdict(checkContract(c, run({ exitCode, sideEffects: report ? observedSideEffects(report, tape) : [] })), report, mode);

  it('passes when every clause holds and the run stayed on the tape, in every mode', () => {
    for (const mode of ['cassette', 'strict', 'live-read'] as const) expect(judge(replay(tape, both), mode)).toEqual({ verdict: 'pass', reasons: [] });
  });

  it('fails on a failed clause, naming it', () => {
    expect(judge(replay(tape, both), 'cassette', 2)).toEqual({ verdict: 'fail', reasons: ['exit status 0: exited 2'] });
  });

  it('cassette and live-read: a call off the tape fails the fixture, with the divergence', () => {
    const report = replay(tape, [both[0]!, { method: 'POST', url: `${BASE}/refunds`, body: '{"amount_cents":900}' }]);
    for (const mode of ['cassette', 'live-read'] as const) {
      const { verdict, reasons } = judge(report, mode);
      expect(verdict).toBe('fail');
      expect(reasons[0]).toBe(`off the tape: call #2 POST ${BASE}/refunds is not on the tape; closest recorded step 2: differs at body.amount_cents`);
    }
  });

  it('strict: recorded steps never asked for fail the fixture; cassette lets them be', () => {
    const report = replay(tape, [both[1]!]);
    expect(judge(report, 'cassette').verdict).toBe('pass');
    expect(judge(report, 'live-read').verdict).toBe('pass');
    const strict = judge(report, 'strict');
    expect(strict.verdict).toBe('fail');
    expect(strict.reasons).toEqual([`every recorded step asked for (strict): never asked for: step 1 (GET ${BASE}/orders/o-1)`]);
  });

  it('inconclusive when the command never started the hook', () => {
    const { verdict, reasons } = judge(undefined, 'cassette', 127);
    expect(verdict).toBe('inconclusive');
    expect(reasons[0]).toContain('never started the tracetape hook');
    expect(reasons[1]).toBe('not judged: exit status 0: exited 127');
  });

  it('inconclusive when the run went past the end of an incomplete recording, unless a side effect clause failed', () => {
    const incomplete = { ...tape, incomplete: { reason: 'the recording process was killed', lostSpans: 2 } };
    const report = replay(incomplete, [...both, { method: 'POST', url: `${BASE}/emails`, body: '{}' }]);
    expect(report.blocked[0]?.tapeEnded).toBeDefined();
    const ended = contractVerdict(checkContract(contract({ exitCode: 0 }), run({ exitCode: 1 })), report, 'strict');
    expect(ended.verdict).toBe('inconclusive');
    expect(ended.reasons[0]).toMatch(/^the tape ended: call #3 POST .*\/emails came after step 2, the last one the incomplete recording kept \(the recording process was killed\)/);
    expect(ended.reasons[1]).toBe('not judged: exit status 0: exited 1');
    // The extra POST was attempted before the tape ran out: an unexpected side effect is a failure.
    const effects = observedSideEffects(report, incomplete);
    const failed = contractVerdict(checkContract(c, run({ sideEffects: effects })), report, 'cassette');
    expect(failed.verdict).toBe('fail');
    expect(failed.reasons[0]).toBe(`no side effects beyond the allowed ones: off the tape: POST ${BASE}/emails`);
  });

  it('a blocked call retried under one call number is named once', () => {
    const report = replay(tape, [{ method: 'DELETE', url: `${BASE}/x` }, { method: 'DELETE', url: `${BASE}/x` }]);
    expect(report.blocked).toHaveLength(2);
    const { reasons } = contractVerdict([], report, 'cassette');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]!.match(/call #1/g)).toHaveLength(1);
  });
});

describe('the double refund', () => {
  // Recorded from the broken agent: the first refund timed out (it succeeded server-side), the
  // agent retried and refunded again.
  const tape = makeTape([
    makeEntry({ step: 1, method: 'GET', url: `${BASE}/orders/o-1` }),
    makeEntry({ step: 2, method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}', status: 0, response: { status: 0, error: 'timeout', body: undefined } }),
    makeEntry({ step: 3, method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}' }),
    sqlEntry(4, "UPDATE orders SET status = 'refunded' WHERE id = $1"),
  ]);
  const c = contract({
    exitCode: 0,
    sideEffects: { allowed: [{ door: 'http', method: 'POST', url: '*/refunds', max: 1 }, { door: 'postgres', table: 'orders' }], forbidden: [{ method: 'DELETE' }] },
  });
  const agent = (key?: string) =>
    replay(tape, [
      { method: 'GET', url: `${BASE}/orders/o-1` },
      { method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}', ...(key ? { key } : {}) },
      { method: 'POST', url: `${BASE}/refunds`, body: '{"order":"o-1","amount_cents":500}', ...(key ? { key } : {}) },
      { method: 'UPDATE', url: '', sql: "UPDATE orders SET status = 'refunded' WHERE id = $1" },
    ]);

  it('fails before the fix: two refunds', () => {
    const report = agent();
    const { verdict, reasons } = contractVerdict(checkContract(c, run({ sideEffects: observedSideEffects(report, tape) })), report, 'strict');
    expect(verdict).toBe('fail');
    expect(reasons).toEqual([`http POST */refunds at most once: 2 distinct effects: step 2 (POST ${BASE}/refunds); step 3 (POST ${BASE}/refunds)`]);
  });

  it('passes after the fix: the retry carries the same idempotency key', () => {
    const report = agent('refund-o-1');
    expect(contractVerdict(checkContract(c, run({ sideEffects: observedSideEffects(report, tape) })), report, 'strict')).toEqual({ verdict: 'pass', reasons: [] });
  });
});
