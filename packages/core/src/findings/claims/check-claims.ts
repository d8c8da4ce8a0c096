import { decodeBody } from '../../body.js';
import { describePattern, matchesPattern } from '../../contract/check-contract.js';
import type { ObservedSideEffect } from '../../contract/contract.js';
import { tableOfEntry } from '../../contract/observed-side-effects.js';
import { wordList } from '../../json-shape.js';
import { isJsonObject, parseJson } from '../../llm/payload.js';
import type { Tape, TapeEntry } from '../../tape.js';
import { findClaimPhrase, type PhraseMatch } from './claim-phrases.js';
import type { ClaimExpectation, ClaimRule, ClaimsConfig } from './claims-config.js';
import { finalAssistantText, type AssistantText } from './final-assistant-text.js';

/*
 * Claims without actions: the run's final answer says it did something ("I've submitted your
 * refund") that no call of the run did. The answer is read for the phrases of each configured
 * claim; a claim it makes is backed by a call of the run that meets one of the claim's
 * expectations and did not fail.
 *
 * Every call of the run counts, wherever it falls against the answer: the action usually comes
 * before the model reports it, but code that acts on the model's answer acts after it, and the
 * answer read may be an earlier one when the last model call only called tools. Model calls never
 * back a claim: asking a model is not doing the thing.
 */

/** What the check made of one claim the answer makes (or pointedly does not make). */
export interface ClaimFinding {
  /** The claim's name in the claims file. */
  claim: string;
  /** The phrase of the claim that was found. */
  phrase: string;
  /** The sentence around the phrase, or about 80 characters each side of it. */
  excerpt: string;
  /** The step of the LLM call whose answer holds the text. */
  textStep: number;
  /**
   * `backed`: a call that meets the claim was made and did not fail. `unbacked`: none was, or each
   * that was failed. `negated`: the phrase only occurs after a negation ("I couldn't submit your
   * refund"), so the answer is not read as claiming it.
   */
  verdict: 'unbacked' | 'backed' | 'negated';
  /** The call that backs the claim; for an unbacked claim, the last matching call that failed. */
  matchedStep?: number;
  /** The claim's expectations as a person reads them: `POST *\/refunds`, `MCP tool call issue_refund`. */
  expected: string[];
  /** Why the verdict, in one sentence. */
  reason: string;
}

export interface ClaimsCheck {
  /** The answer that was read; absent when no LLM call of the run answered with text. */
  text?: AssistantText;
  /** One per claim whose phrases occur in the text, in the claims file's order. */
  findings: ClaimFinding[];
}

/** Reads the run's final answer for the configured claims and looks for the calls that back them. */
export function checkClaims(tape: Tape, config: ClaimsConfig): ClaimsCheck {
  const text = finalAssistantText(tape);
  if (!text) return { findings: [] };
  const calls = tape.entries.filter((entry) => entry.llm === undefined).sort((a, b) => a.step - b.step);
  const findings: ClaimFinding[] = [];
  for (const rule of config.claims) {
    const match = findClaimPhrase(text.text, rule.phrases);
    if (match) findings.push(judge(rule, match, text.step, calls));
  }
  return { text, findings };
}

/** Whether the run's answer claims something no call did: what flags the run. */
export function hasUnbackedClaim(check: ClaimsCheck): boolean {
  return check.findings.some((finding) => finding.verdict === 'unbacked');
}

function judge(rule: ClaimRule, match: PhraseMatch, textStep: number, calls: readonly TapeEntry[]): ClaimFinding {
  const expected = rule.expect.map(describeExpectation);
  const finding = (verdict: ClaimFinding['verdict'], reason: string, matchedStep?: number): ClaimFinding => ({
    claim: rule.name,
    phrase: match.phrase,
    excerpt: match.excerpt,
    textStep,
    verdict,
    ...(matchedStep !== undefined ? { matchedStep } : {}),
    expected,
    reason,
  });
  const says = `the answer says ${JSON.stringify(match.matched)}`;
  if (match.negatedBy !== undefined) {
    return finding('negated', `skipped as negated: ${says} a few words after ${JSON.stringify(match.negatedBy)}, so it is not read as a claim that it was done`);
  }
  const matching = calls.filter((entry) => rule.expect.some((expectation) => meets(entry, expectation)));
  const done = matching.find((entry) => callFailure(entry) === undefined);
  if (done) return finding('backed', `${says} and step ${done.step} made ${describeCall(done)}${httpStatus(done)}`, done.step);
  if (matching.length === 0) return finding('unbacked', `${says} but the run made no ${wordList(expected)}`);
  const last = matching.at(-1)!;
  if (matching.length === 1) {
    return finding('unbacked', `${says} but its one matching call, step ${last.step} (${describeCall(last)}), was made but failed: ${callFailure(last)}`, last.step);
  }
  const failures = matching.map((entry) => `step ${entry.step} (${describeCall(entry)}): ${callFailure(entry)}`).join('; ');
  return finding('unbacked', `${says} but each of its ${matching.length} matching calls was made but failed: ${failures}`, last.step);
}

/** Whether a call meets an expectation: the contract's side-effect pattern for door, method, URL and table, plus the MCP tool. */
function meets(entry: TapeEntry, expectation: ClaimExpectation): boolean {
  const { tool, ...pattern } = expectation;
  if (tool !== undefined && mcpToolName(entry) !== tool) return false;
  const call: ObservedSideEffect = {
    door: entry.kind,
    method: entry.request.normalized.method,
    url: entry.request.normalized.url,
    step: entry.step,
    how: 'served',
  };
  const table = tableOfEntry(entry);
  if (table !== undefined) call.table = table;
  return matchesPattern(pattern, call);
}

/**
 * The tool an MCP `tools/call` called. The door stores the JSON-RPC method with its params beside
 * it (`{"method":"tools/call","name":…}`), or under `params` when they are not a plain object; its
 * normalised method is `tools/call <name>` either way, which is read when the body cannot be.
 */
function mcpToolName(entry: TapeEntry): string | undefined {
  if (entry.kind !== 'mcp') return undefined;
  const { method, body } = entry.request.normalized;
  const document = body ? parseJson(Buffer.from(decodeBody(body)).toString('utf8')) : undefined;
  if (isJsonObject(document) && document.method === 'tools/call') {
    const name = document.name ?? (isJsonObject(document.params) ? document.params.name : undefined);
    if (typeof name === 'string') return name;
  }
  return method.startsWith('tools/call ') ? method.slice('tools/call '.length) : undefined;
}

/**
 * How a call failed, or undefined when it was answered: an error before any answer (status 0, as
 * network, database and JSON-RPC errors are recorded), an HTTP error status, or an MCP tool that
 * reported an error. A call that failed did not do what the answer says.
 */
function callFailure(entry: TapeEntry): string | undefined {
  const { response } = entry;
  if (response.status === 0 || response.error !== undefined) return response.error ?? (response.statusText || 'no answer');
  if (response.status >= 400) return `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (entry.kind === 'mcp' && response.statusText === 'tool error') return 'the tool reported an error';
  return undefined;
}

function httpStatus(entry: TapeEntry): string {
  return entry.kind === 'http' ? ` (${entry.response.status})` : '';
}

function describeCall(entry: TapeEntry): string {
  const { method, url } = entry.request.normalized;
  if (entry.kind === 'mcp') return `MCP ${method}`;
  const table = tableOfEntry(entry);
  if (table !== undefined) return `${entry.kind} ${method} to table ${table}`;
  return entry.kind === 'http' ? `${method} ${url}` : `${entry.kind} ${method} ${url}`;
}

function describeExpectation(expectation: ClaimExpectation): string {
  const { tool, ...pattern } = expectation;
  if (tool === undefined) return describePattern(pattern);
  return `MCP tool call ${tool}${pattern.url !== undefined ? ` on ${pattern.url}` : ''}`;
}
