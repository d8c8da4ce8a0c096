import { canonicalJson } from '../canonical-json.js';
import type { BlockedCall, ReplayReport } from '../matcher.js';
import type {
  AllowedSideEffect,
  ClauseResult,
  Contract,
  JsonCheck,
  ObservedRun,
  ObservedSideEffect,
  OutputCheck,
  SideEffectPattern,
  Verdict,
} from './contract.js';
import { parseJsonCheckPath, valueAtPath } from './json-path.js';

/*
 * Checking a contract against what a check run did. Every clause of the contract becomes one
 * ClauseResult (one per string of `contains`, per pattern of `matches`, per JSON check, per
 * allowed and forbidden rule), so a failure names exactly the clause that failed.
 */

/**
 * How a check run was replayed. `cassette`: recorded answers, an off-tape call fails the fixture;
 * `strict`: also fails on recorded steps the run never asked for; `live-read`: reads (GET, HEAD,
 * OPTIONS) to hosts marked safe go to the network, every other call is answered from the tape.
 */
export type CheckMode = 'cassette' | 'strict' | 'live-read';

const CLIP = 200;

export function checkContract(contract: Contract, observed: ObservedRun): ClauseResult[] {
  const results: ClauseResult[] = [];
  const { exitCode, outputs = [], sideEffects } = contract.expect;
  if (exitCode !== undefined) {
    results.push({
      kind: 'exit-code',
      clause: `exit status ${exitCode}`,
      passed: observed.exitCode === exitCode,
      detail: `exited ${observed.exitCode}`,
    });
  }
  for (const output of outputs) results.push(...checkOutput(output, observed));
  // No `sideEffects` section: side effects are not checked, as an absent exitCode is not. A
  // section present without `others` forbids the side effects its rules do not name.
  if (sideEffects) results.push(...checkSideEffects(sideEffects, observed.sideEffects));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Outputs

interface Source {
  name: string;
  /** The text, or undefined when the file was not written. */
  text: string | undefined;
}

function checkOutput(output: OutputCheck, observed: ObservedRun): ClauseResult[] {
  const isStdout = output.from === 'stdout';
  const source: Source = { name: output.from, text: isStdout ? observed.stdout : observed.readFile(output.from) };
  const missing = `${output.from} was not written`;
  const results: ClauseResult[] = [];
  const clause = (text: string, passed: boolean, detail: string): void => {
    results.push({ kind: 'output', clause: text, passed, detail });
  };
  for (const needle of output.contains ?? []) {
    const text = `${source.name} contains ${JSON.stringify(needle)}`;
    if (source.text === undefined) clause(text, false, missing);
    else clause(text, source.text.includes(needle), source.text.includes(needle) ? 'found' : `not found in ${describeText(source)}`);
  }
  for (const pattern of output.matches ?? []) {
    const text = `${source.name} matches /${pattern}/`;
    if (source.text === undefined) {
      clause(text, false, missing);
      continue;
    }
    const match = new RegExp(pattern).exec(source.text);
    clause(text, match !== null, match ? `matched ${JSON.stringify(clip(match[0]))}` : `no match in ${describeText(source)}`);
  }
  if (output.json && output.json.length > 0) {
    const label = isStdout ? 'stdout JSON' : output.from;
    const document = source.text === undefined ? { problem: missing } : isStdout ? stdoutJson(source.text) : fileJson(source);
    for (const check of output.json) {
      const text = `${label}: ${describeJsonCheck(check)}`;
      if ('problem' in document) clause(text, false, document.problem);
      else {
        const { passed, detail } = checkJson(check, document.value);
        clause(text, passed, detail);
      }
    }
  }
  // Only `from`: the file must have been written (stdout always is).
  if (!output.contains?.length && !output.matches?.length && !output.json?.length) {
    clause(`${output.from} is written`, source.text !== undefined, source.text === undefined ? missing : `${Buffer.byteLength(source.text)} bytes`);
  }
  return results;
}

/**
 * The JSON a run printed: the last line of stdout that parses as a JSON object or array (a run
 * logs prose, then prints its result), else the whole of stdout. A bare number or word on a line
 * of its own is prose, not the run's JSON.
 */
export function stdoutJson(stdout: string): { value: unknown } | { problem: string } {
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{') && !line.startsWith('[')) continue;
    try {
      return { value: JSON.parse(line) as unknown };
    } catch {
      // Not JSON after all: an earlier line may be.
    }
  }
  try {
    return { value: JSON.parse(stdout) as unknown };
  } catch {
    return { problem: `stdout holds no JSON: no line of it parses as a JSON object or array, nor does the whole (${describeText({ name: 'stdout', text: stdout })})` };
  }
}

function fileJson(source: Source): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(source.text!) as unknown };
  } catch (error) {
    return { problem: `${source.name} is not JSON (${(error as Error).message})` };
  }
}

function describeJsonCheck(check: JsonCheck): string {
  const path = check.path === '' || check.path === '$' ? 'the whole value' : check.path;
  const parts: string[] = [];
  if ('equals' in check) parts.push(`equals ${clip(JSON.stringify(check.equals) ?? 'undefined')}`);
  if (check.matches !== undefined) parts.push(`matches /${check.matches}/`);
  if (check.hasKeys !== undefined) parts.push(`has keys ${check.hasKeys.join(', ')}`);
  if (parts.length === 0) parts.push(check.exists === false ? 'is absent' : 'exists');
  return `${path} ${parts.join(' and ')}`;
}

function checkJson(check: JsonCheck, document: unknown): { passed: boolean; detail: string } {
  const { steps, problem } = parseJsonCheckPath(check.path);
  // parseContract refuses such paths; a contract built in code may still carry one.
  if (problem) return { passed: false, detail: `the path ${JSON.stringify(check.path)} ${problem}` };
  const value = valueAtPath(document, steps);
  const seen = value === undefined ? 'is missing' : `is ${clip(JSON.stringify(value))}`;
  if (check.exists === false) return { passed: value === undefined, detail: seen };
  if (value === undefined) return { passed: false, detail: 'is missing' };
  if ('equals' in check && canonicalJson(value) !== canonicalJson(check.equals)) return { passed: false, detail: seen };
  if (check.matches !== undefined) {
    if (typeof value !== 'string') return { passed: false, detail: `${seen}, not a string` };
    if (!new RegExp(check.matches).test(value)) return { passed: false, detail: seen };
  }
  if (check.hasKeys !== undefined) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { passed: false, detail: `${seen}, not an object` };
    const absent = check.hasKeys.filter((key) => !Object.hasOwn(value, key));
    if (absent.length > 0) return { passed: false, detail: `lacks ${absent.join(', ')} (has ${Object.keys(value).join(', ') || 'no keys'})` };
  }
  return { passed: true, detail: seen };
}

function describeText(source: Source): string {
  const text = source.text ?? '';
  if (text.trim() === '') return `${source.name} (empty)`;
  // The end of a run's output is where its result usually is.
  const shown = text.length > CLIP ? `…${text.slice(-CLIP)}` : text;
  return `${source.name}: ${JSON.stringify(shown)}`;
}

function clip(text: string): string {
  return text.length > CLIP ? `${text.slice(0, CLIP)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Side effects

function checkSideEffects(rules: NonNullable<Contract['expect']['sideEffects']>, effects: readonly ObservedSideEffect[]): ClauseResult[] {
  const results: ClauseResult[] = [];
  const allowed = rules.allowed ?? [];
  const forbidden = rules.forbidden ?? [];
  // An effect matching several allowed rules counts against each of them.
  for (const rule of allowed) {
    const max = rule.max ?? 1;
    const groups = distinctEffects(effects.filter((effect) => matchesPattern(rule, effect)));
    const what = describePattern(rule);
    results.push({
      kind: 'allowed-side-effect',
      clause: max === 0 ? `no ${what}` : `${what} at most ${max === 1 ? 'once' : `${max} times`}`,
      passed: groups.length <= max,
      detail: describeGroups(groups),
    });
  }
  // A forbidden effect fails its rule even when an allowed rule also matches it: forbidding wins.
  for (const rule of forbidden) {
    const matching = effects.filter((effect) => matchesPattern(rule, effect));
    results.push({
      kind: 'forbidden-side-effect',
      clause: `no ${describePattern(rule)}`,
      passed: matching.length === 0,
      detail: matching.length === 0 ? 'none' : matching.map(describeEffect).join('; '),
    });
  }
  if ((rules.others ?? 'forbid') === 'forbid') {
    // Effects a forbidden rule already reports are not reported twice.
    const others = effects.filter((effect) => !allowed.some((r) => matchesPattern(r, effect)) && !forbidden.some((r) => matchesPattern(r, effect)));
    results.push({
      kind: 'unexpected-side-effect',
      clause: allowed.length > 0 ? 'no side effects beyond the allowed ones' : 'no side effects',
      passed: others.length === 0,
      detail: others.length === 0 ? 'none' : others.map(describeEffect).join('; '),
    });
  }
  return results;
}

/**
 * Effects as distinct effects: those with the same method, URL and idempotency key are one effect
 * (a retry carrying the key the first attempt carried is safely retried, the server does it once);
 * effects without a key each count.
 */
export function distinctEffects(effects: readonly ObservedSideEffect[]): ObservedSideEffect[][] {
  const groups: ObservedSideEffect[][] = [];
  const byKey = new Map<string, ObservedSideEffect[]>();
  for (const effect of effects) {
    if (effect.idempotencyKey === undefined) {
      groups.push([effect]);
      continue;
    }
    const key = JSON.stringify([effect.method.toUpperCase(), effect.url, effect.idempotencyKey]);
    const group = byKey.get(key);
    if (group) group.push(effect);
    else {
      const fresh = [effect];
      byKey.set(key, fresh);
      groups.push(fresh);
    }
  }
  return groups;
}

function describeGroups(groups: readonly ObservedSideEffect[][]): string {
  if (groups.length === 0) return 'none';
  const items = groups.map((group) => {
    const first = describeEffect(group[0]!);
    if (group.length === 1) return first;
    return `${first}, retried as ${group.slice(1).map(describeEffect).join(', ')} with the same idempotency key ${JSON.stringify(group[0]!.idempotencyKey)}: one effect`;
  });
  return `${groups.length} distinct effect${groups.length === 1 ? '' : 's'}: ${items.join('; ')}`;
}

function describeEffect(effect: ObservedSideEffect): string {
  const call = `${effect.method} ${effect.url}${effect.table !== undefined ? ` (table ${effect.table})` : ''}`;
  if (effect.how === 'served') return `step ${effect.step} (${call})`;
  return `${effect.how === 'blocked' ? 'off the tape' : 'sent live'}: ${call}`;
}

export function describePattern(pattern: SideEffectPattern): string {
  const words: string[] = [];
  if (pattern.door) words.push(pattern.door);
  if (pattern.table !== undefined) words.push(`${pattern.method ?? 'write'} to table ${pattern.table}`);
  else if (pattern.method !== undefined) words.push(pattern.method);
  if (pattern.url !== undefined) words.push(pattern.url);
  if (words.length === 0) return 'side effect';
  if (pattern.method === undefined && pattern.table === undefined) words.push('side effect');
  return words.join(' ');
}

/** Whether a side effect matches a pattern: every field given must match; absent fields match anything. */
export function matchesPattern(pattern: SideEffectPattern | AllowedSideEffect, effect: ObservedSideEffect): boolean {
  if (pattern.door !== undefined && pattern.door !== effect.door) return false;
  if (pattern.method !== undefined && pattern.method.toUpperCase() !== effect.method.toUpperCase()) return false;
  // SQL names are case-insensitive unless quoted; the contract names tables as a person writes them.
  if (pattern.table !== undefined && pattern.table.toLowerCase() !== effect.table?.toLowerCase()) return false;
  if (pattern.url !== undefined && !urlMatches(pattern.url, effect.url)) return false;
  return true;
}

/**
 * A URL glob: `*` matches any run of characters, against the whole URL. A glob without a scheme
 * and host (`/refunds`, `*\/refunds`) also matches the URL's path, with or without its query, so
 * it holds whichever host and port the run used.
 */
export function urlMatches(glob: string, url: string): boolean {
  const pattern = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`, 's');
  if (pattern.test(url)) return true;
  if (glob.includes('://')) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return pattern.test(parsed.pathname) || (parsed.search !== '' && pattern.test(parsed.pathname + parsed.search));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Verdict

/**
 * The replay's own clauses: whether the run stayed on the tape. Blocked calls (off the tape, or an
 * LLM call to another model) and refused connections fail in every mode: the issue's cassette
 * mode is "off-tape calls fail the fixture", and live-read only lets reads to safe hosts through,
 * which the matcher counts as live, not blocked. Strict mode also fails on recorded steps the run never asked for.
 * A call past the end of an incomplete recording (`tapeEnded`) is no clause here: the run cannot be
 * judged past that point, which makes the verdict inconclusive (see contractVerdict).
 */
export function replayClauses(report: ReplayReport, mode: CheckMode = 'cassette'): ClauseResult[] {
  const results: ClauseResult[] = [];
  const offTape = uniqueCalls(report.blocked.filter((call) => !call.tapeEnded));
  const refused = report.blockedConnections ?? [];
  results.push({
    kind: 'replay',
    clause: 'every call answered from the tape',
    passed: offTape.length === 0 && refused.length === 0,
    detail:
      offTape.length === 0 && refused.length === 0
        ? servedDetail(report.served)
        : [
            ...offTape.map(describeDivergence),
            ...refused.map((c) => `a connection to ${c.host}${c.port !== undefined ? `:${c.port}` : ''} was refused (${c.reason}): it is not on the tape`),
          ].join('; '),
  });
  if (mode === 'strict') {
    const { unconsumed } = report;
    results.push({
      kind: 'replay',
      clause: 'every recorded step asked for (strict)',
      passed: unconsumed.length === 0,
      detail:
        unconsumed.length === 0
          ? 'all recorded steps were asked for'
          : `never asked for: ${unconsumed.map((s) => `step ${s.step} (${s.method} ${s.url})`).join(', ')}`,
    });
  }
  return results;
}

/** A blocked call as a reason: what was asked, the closest recorded step, and where they differ. */
export function describeDivergence(call: BlockedCall): string {
  const asked = `call #${call.callIndex} ${call.method} ${call.url}`;
  if (call.reason === 'model-drift' && call.modelDrift) {
    return `${asked} asks model "${call.modelDrift.currentModel}", but step ${call.closestStep} was recorded with "${call.modelDrift.recordedModel}"`;
  }
  const what = call.reason === 'exhausted' ? 'was made more often than recorded' : 'is not on the tape';
  if (call.closestStep === undefined) return `${asked} ${what} (the tape holds nothing like it)`;
  const paths = call.diff.map((d) => d.path);
  const differs = paths.length === 0 ? 'identical to it, already served' : `differs at ${paths.slice(0, 8).join(', ')}${paths.length > 8 ? ` and ${paths.length - 8} more` : ''}`;
  return `${asked} ${what}; closest recorded step ${call.closestStep}: ${differs}`;
}

/** A retried blocked call is reported once per attempt under one call number: name it once. */
function uniqueCalls(calls: readonly BlockedCall[]): BlockedCall[] {
  const seen = new Set<number>();
  return calls.filter((call) => !seen.has(call.callIndex) && (seen.add(call.callIndex), true));
}

/**
 * The fixture's verdict from its clauses and the replay report.
 *
 * - `fail`: a contract clause failed, or the run left the tape (a call blocked as off the tape, in
 *   any mode: "off-tape calls fail the fixture"), or, in strict mode, recorded steps were never
 *   asked for. Reasons name the failed clauses and the divergence (call, closest step, diff paths).
 * - `inconclusive`: the run could not be judged. Either there is no report (the command never
 *   started the tracetape hook: nothing was replayed, whatever it printed or exited with), or the
 *   tape is of an incomplete recording and the run went past its end (BlockedCall.tapeEnded): what
 *   it did after that point was not answered as recorded. In the latter case a side-effect clause
 *   that failed still fails the fixture (the attempts happened before the tape ran out), but a
 *   failed exit status or output is put down to the tape's end, not to the code.
 * - `pass`: every clause held and the run stayed on the tape.
 */
export function contractVerdict(
  results: readonly ClauseResult[],
  report?: ReplayReport,
  mode: CheckMode = 'cassette',
): { verdict: Verdict; reasons: string[] } {
  const failedText = (r: ClauseResult): string => `${r.clause}: ${r.detail}`;
  if (!report) {
    return {
      verdict: 'inconclusive',
      reasons: [
        'the command never started the tracetape hook: nothing was replayed, so the contract cannot be judged (is the command a Node program, and does it keep NODE_OPTIONS?)',
        ...results.filter((r) => !r.passed).map((r) => `not judged: ${failedText(r)}`),
      ],
    };
  }
  const ended = uniqueCalls(report.blocked.filter((call) => call.tapeEnded));
  const all = [...results, ...replayClauses(report, mode)];
  const failed = all.filter((r) => !r.passed);
  const ranOut = ended.length > 0;
  // Past the end of an incomplete tape, how the run ended says nothing of the code.
  const endedClause = (r: ClauseResult): boolean => ranOut && (r.kind === 'exit-code' || r.kind === 'output');
  const failures = failed.filter((r) => !endedClause(r));
  const endedReasons = ended.map((call) => {
    const tapeEnded = call.tapeEnded!;
    return `the tape ended: call #${call.callIndex} ${call.method} ${call.url} came after step ${tapeEnded.lastStep}, the last one the incomplete recording kept (${tapeEnded.reason}); record the run again to judge it whole`;
  });
  if (failures.length > 0) {
    return {
      verdict: 'fail',
      reasons: [
        ...failures.map((r) => (r.kind === 'replay' && r.clause.startsWith('every call') ? `off the tape: ${r.detail}` : failedText(r))),
        ...endedReasons,
      ],
    };
  }
  if (ranOut) {
    return { verdict: 'inconclusive', reasons: [...endedReasons, ...failed.map((r) => `not judged: ${failedText(r)}`)] };
  }
  return { verdict: 'pass', reasons: [] };
}

/** How many calls the tape answered, and how many it left unanswered as their recording was. */
function servedDetail(served: ReplayReport['served']): string {
  const unanswered = served.filter((step) => step.unanswered).length;
  return unanswered === 0 ? `${served.length} call(s) answered from the tape` : `${served.length} call(s) taken from the tape (${unanswered} left unanswered, as recorded)`;
}
