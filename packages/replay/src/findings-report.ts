import type { ClaimFinding, ClaimsCheck, RepeatedSideEffect } from '@tracetape/core';
import { PLAIN, type Palette } from './colour.js';
import { formatDuration } from './human-format.js';

/** What `tracetape tape` prints under a run's timeline: the first-hour questions, answered from the recording. */
export interface RunFindingsReport {
  repeated: readonly RepeatedSideEffect[];
  /** The claims check and the file its mapping came from; absent when no claims file is configured. */
  claims?: { file: string; check: ClaimsCheck };
}

export function renderFindings(report: RunFindingsReport, colour: Palette = PLAIN): string {
  const lines = [colour.bold('Findings')];
  if (report.repeated.length === 0) lines.push('  no side effect was done twice');
  for (const pair of report.repeated) lines.push(`  ${repeatedLine(pair, colour)}`);
  lines.push(...claimsLines(report.claims, colour).map((line) => `  ${line}`));
  return lines.join('\n');
}

function repeatedLine(pair: RepeatedSideEffect, colour: Palette): string {
  const call = `${pair.method} ${pair.url}`;
  const when = `${formatDuration(pair.gapMs)} later`;
  if (pair.verdict === 'safely-retried') {
    return `${colour.green('safely retried')}: step ${pair.repeat} repeats step ${pair.first} (${call}) ${when}, with the same Idempotency-Key ${JSON.stringify(pair.idempotencyKey)}`;
  }
  const why = pair.firstFailure !== undefined ? `after step ${pair.first} failed in the app (${pair.firstFailure}): if it had succeeded server-side, this did it twice` : 'both succeeded: check that doing it twice was meant';
  const volatile = pair.differsOnlyInVolatileFields ? ' (the two differ only in keys, timestamps or request IDs)' : '';
  return `${colour.red('REPEATED SIDE EFFECT')}: step ${pair.repeat} repeats step ${pair.first} (${call}) ${when}${volatile}, ${why}`;
}

function claimsLines(claims: RunFindingsReport['claims'], colour: Palette): string[] {
  if (!claims) return [`claims not checked: no claims file (--claims <file>, TRACETAPE_CLAIMS, or ./tracetape.claims.json)`];
  const source = `heuristic: phrases of ${claims.file}`;
  if (!claims.check.text) return [`claims: no model answer with text to read (${source})`];
  if (claims.check.findings.length === 0) return [`claims: the answer at step ${claims.check.text.step} makes none of the configured claims (${source})`];
  return claims.check.findings.map((finding) => claimLine(finding, colour, source));
}

function claimLine(finding: ClaimFinding, colour: Palette, source: string): string {
  const label =
    finding.verdict === 'unbacked' ? colour.red('CLAIM WITHOUT ACTION') : finding.verdict === 'backed' ? colour.green('claim backed') : colour.dim('claim negated');
  const reason = /[.!?]$/.test(finding.reason) ? finding.reason : `${finding.reason}.`;
  return `${label} (${finding.claim}): ${reason} Said at step ${finding.textStep}: "${finding.excerpt}" (${source})`;
}
