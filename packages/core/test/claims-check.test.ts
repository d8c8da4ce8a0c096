import { describe, expect, it } from 'vitest';
import { checkClaims, hasUnbackedClaim, parseClaimsConfig, type ClaimFinding, type ClaimsConfig, type TapeEntry } from '@tracetape/core';
import { mcpToolCall, openAiAnswer, openAiToolCall } from './claims-fixtures.js';
import { sqlEntry } from './contract-fixtures.js';
import { makeEntry, makeTape } from './tape-fixtures.js';

const config: ClaimsConfig = parseClaimsConfig(
  JSON.stringify({
    format: 'tracetape.claims',
    version: 1,
    claims: [
      {
        name: 'refund',
        phrases: ['submitted your refund', 'submit your refund', 'refund has been issued', "I've refunded", 'refunded'],
        expect: [{ method: 'POST', url: '*/refunds' }, { tool: 'issue_refund' }, { door: 'postgres', method: 'INSERT', table: 'refunds' }],
      },
      { name: 'email', phrases: ['sent you an email', 'emailed you'], expect: [{ method: 'POST', url: 'https://api.mail.test/*' }] },
    ],
  }),
  'tracetape.claims.json',
);

const EXPECTED = ['POST */refunds', 'MCP tool call issue_refund', 'postgres INSERT to table refunds'];

function refundPost(step: number, status = 201, statusText = 'Created'): TapeEntry {
  return makeEntry({
    step,
    method: 'POST',
    url: 'https://shop.test/api/refunds',
    body: '{"order_id":"1042","amount_cents":4200}',
    status,
    responseBody: status < 400 ? '{"id":"r_77","status":"issued"}' : '{"error":"payment service unavailable"}',
    response: { statusText },
  });
}

/** The agent's run: it looks up the order, asks the model, maybe acts, then answers `answer`. */
function run(answer: string, actions: TapeEntry[] = []): ReturnType<typeof checkClaims> {
  const entries = [
    makeEntry({ step: 1, method: 'GET', url: 'https://shop.test/api/orders/1042' }),
    openAiToolCall(2, 'issue_refund', { order_id: '1042' }),
    ...actions.map((entry, i) => ({ ...entry, step: 3 + i })),
  ];
  entries.push(openAiAnswer(entries.length + 1, answer));
  return checkClaims(makeTape(entries), config);
}

function only(check: ReturnType<typeof checkClaims>): ClaimFinding {
  expect(check.findings).toHaveLength(1);
  return check.findings[0]!;
}

describe('checkClaims', () => {
  it('flags a refund the answer claims when no call made one', () => {
    const check = run("I've submitted your refund of $42.00 for order 1042. It should arrive in 3-5 days.");
    expect(check.text).toEqual({ step: 3, text: "I've submitted your refund of $42.00 for order 1042. It should arrive in 3-5 days." });
    expect(only(check)).toEqual({
      claim: 'refund',
      phrase: 'submitted your refund',
      excerpt: "I've submitted your refund of $42.00 for order 1042.",
      textStep: 3,
      verdict: 'unbacked',
      expected: EXPECTED,
      reason: 'the answer says "submitted your refund" but the run made no POST */refunds, MCP tool call issue_refund or postgres INSERT to table refunds',
    });
    expect(hasUnbackedClaim(check)).toBe(true);
  });

  it('is satisfied by the POST /refunds the run made', () => {
    const check = run("I've submitted your refund of $42.00.", [refundPost(0)]);
    const finding = only(check);
    expect(finding.verdict).toBe('backed');
    expect(finding.matchedStep).toBe(3);
    expect(finding.reason).toBe('the answer says "submitted your refund" and step 3 made POST https://shop.test/api/refunds (201)');
    expect(hasUnbackedClaim(check)).toBe(false);
  });

  it('does not count a refund call that failed, and says it was made but failed', () => {
    const finding = only(run("I've submitted your refund of $42.00.", [refundPost(0, 500, 'Internal Server Error')]));
    expect(finding.verdict).toBe('unbacked');
    expect(finding.matchedStep).toBe(3);
    expect(finding.reason).toBe(
      'the answer says "submitted your refund" but its one matching call, step 3 (POST https://shop.test/api/refunds), was made but failed: 500 Internal Server Error',
    );
  });

  it('is satisfied by a retry that succeeded after one that failed, and names every failure when all failed', () => {
    expect(only(run('Your refund has been issued.', [refundPost(0, 503, 'Service Unavailable'), refundPost(0)])).matchedStep).toBe(4);
    const failed = only(
      run('Your refund has been issued.', [refundPost(0, 503, 'Service Unavailable'), { ...refundPost(0), response: { status: 0, statusText: '', headers: [], complete: false, error: 'connect ECONNREFUSED 10.0.0.7:443' } }]),
    );
    expect(failed.verdict).toBe('unbacked');
    expect(failed.matchedStep).toBe(4);
    expect(failed.reason).toBe(
      'the answer says "refund has been issued" but each of its 2 matching calls was made but failed: step 3 (POST https://shop.test/api/refunds): 503 Service Unavailable; ' +
        'step 4 (POST https://shop.test/api/refunds): connect ECONNREFUSED 10.0.0.7:443',
    );
  });

  it('reads a negated claim as no claim, and says it was skipped as negated', () => {
    const check = run("I'm sorry, I couldn't submit your refund: the payment service is down. Please try again later.");
    expect(only(check)).toMatchObject({
      claim: 'refund',
      phrase: 'submit your refund',
      excerpt: "I'm sorry, I couldn't submit your refund: the payment service is down.",
      verdict: 'negated',
      reason: 'skipped as negated: the answer says "submit your refund" a few words after "couldn\'t", so it is not read as a claim that it was done',
    });
    expect(hasUnbackedClaim(check)).toBe(false);
    expect(only(run('Not only have I refunded you, I added a coupon.')).verdict).toBe('unbacked');
    for (const answer of ['I was unable to submit your refund.', 'I have not yet submitted your refund.', 'I never refunded that order.', 'Sorry, I won’t be able to submit your refund.']) {
      expect(only(run(answer)).verdict, answer).toBe('negated');
    }
  });

  it('lets a negation reach only its own clause, and a claim made elsewhere in the answer count', () => {
    expect(only(run("I couldn't reach the warehouse, but I've submitted your refund.")).verdict).toBe('unbacked');
    expect(only(run("I didn't charge you twice. I've refunded the difference.")).verdict).toBe('unbacked');
    const both = only(run("I couldn't submit your refund by card, so I've refunded you in store credit."));
    expect(both).toMatchObject({ verdict: 'unbacked', phrase: "I've refunded" });
  });

  it('matches phrases as whole words, whatever the case, spacing and apostrophes', () => {
    expect(only(run('I’ve  REFUNDED\nyour order.'))).toMatchObject({ phrase: "I've refunded", verdict: 'unbacked', excerpt: 'I’ve REFUNDED' });
    expect(only(run('Good news: I have submitted\n   your refund.')).phrase).toBe('submitted your refund');
    expect(run('This item is non-refundable, and unrefunded orders stay open.').findings).toEqual([]);
  });

  it('is satisfied by an MCP tool call of the tool, unless the tool reported an error', () => {
    const backed = only(run("I've refunded order 1042.", [mcpToolCall(0, 'issue_refund', { order_id: '1042', amount_cents: 4200 })]));
    expect(backed).toMatchObject({ verdict: 'backed', matchedStep: 3, reason: 'the answer says "I\'ve refunded" and step 3 made MCP tools/call issue_refund' });
    expect(only(run("I've refunded order 1042.", [mcpToolCall(0, 'lookup_order', { order_id: '1042' })])).verdict).toBe('unbacked');
    const toolError = only(run("I've refunded order 1042.", [mcpToolCall(0, 'issue_refund', { order_id: '1042' }, 'tool error')]));
    expect(toolError.verdict).toBe('unbacked');
    expect(toolError.reason).toContain('step 3 (MCP tools/call issue_refund), was made but failed: the tool reported an error');
    expect(only(run("I've refunded order 1042.", [mcpToolCall(0, 'issue_refund', {}, 'rpc error')])).reason).toContain('was made but failed: Unknown tool');
  });

  it('is satisfied by an INSERT into the table, not by a write to another one', () => {
    const insert = sqlEntry(0, 'INSERT INTO "public"."refunds" (order_id, amount_cents) VALUES ($1, $2) RETURNING id');
    expect(only(run('Your refund has been issued.', [insert]))).toMatchObject({
      verdict: 'backed',
      matchedStep: 3,
      reason: 'the answer says "refund has been issued" and step 3 made postgres INSERT to table refunds',
    });
    expect(only(run('Your refund has been issued.', [sqlEntry(0, "UPDATE orders SET status = 'refunded' WHERE id = $1")])).verdict).toBe('unbacked');
    const failed = { ...insert, response: { status: 0, statusText: '23505', headers: [], complete: true, error: 'duplicate key value violates unique constraint "refunds_order_id_key"' } };
    expect(only(run('Your refund has been issued.', [failed])).reason).toContain('was made but failed: duplicate key value violates unique constraint');
  });

  it('counts a call made after the answer: code that acts on what the model said', () => {
    const tape = makeTape([openAiAnswer(1, 'Your refund has been issued.'), refundPost(2)]);
    expect(only(checkClaims(tape, config))).toMatchObject({ verdict: 'backed', textStep: 1, matchedStep: 2 });
  });

  it('never counts a model call as the action', () => {
    const anyPost = parseClaimsConfig(
      JSON.stringify({ format: 'tracetape.claims', version: 1, claims: [{ name: 'refund', phrases: ['refunded'], expect: [{ method: 'POST' }] }] }),
      'tracetape.claims.json',
    );
    const tape = makeTape([openAiToolCall(1, 'issue_refund', { order_id: '1042' }), openAiAnswer(2, "I've refunded you.")]);
    expect(only(checkClaims(tape, anyPost))).toMatchObject({ verdict: 'unbacked', reason: 'the answer says "refunded" but the run made no POST' });
  });

  it('gives one finding per claim the answer makes, in the order of the claims file', () => {
    const check = run('I emailed you the receipt, and your refund has been issued.', [refundPost(0)]);
    expect(check.findings.map((f) => [f.claim, f.verdict])).toEqual([
      ['refund', 'backed'],
      ['email', 'unbacked'],
    ]);
  });

  it('cuts a long sentence to about 80 characters each side of the phrase', () => {
    const answer = `${'Thanks for waiting while I checked everything with the warehouse team and the carrier '.repeat(2)}I have submitted your refund ${'and you will see it on the card you paid with within five to seven working days '.repeat(2)}`;
    const { excerpt } = only(run(answer));
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).toContain('I have submitted your refund and you will');
    expect(excerpt.length).toBeLessThanOrEqual(80 * 2 + 'submitted your refund'.length + 2);
  });

  it('has nothing to check when no model answered with text', () => {
    expect(checkClaims(makeTape([refundPost(1)]), config)).toEqual({ findings: [] });
  });
});
