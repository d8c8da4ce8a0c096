import type { ClaimFinding, RepeatedSideEffect, RunFindings } from '../../src/api.js';
import { formatDuration } from '../format.js';
import { runPath } from '../router.js';

/**
 * The run's findings above its waterfall: each names the steps involved as links, so the two
 * refunds are one click away. Nothing is shown for a run with none: no banner to learn to ignore.
 */
export function FindingsPanel({ traceId, findings }: { traceId: string; findings: RunFindings }) {
  const claims = findings.claims?.check.findings ?? [];
  if (findings.repeated.length === 0 && claims.length === 0) return null;
  return (
    <section class="findings" data-testid="findings" aria-label="Findings">
      {findings.repeated.map((pair) => (
        <RepeatedLine key={`${pair.first}-${pair.repeat}`} traceId={traceId} pair={pair} />
      ))}
      {claims.map((finding) => (
        <ClaimLine key={finding.claim} traceId={traceId} finding={finding} file={findings.claims!.file} />
      ))}
    </section>
  );
}

const CLAIM_LABEL: Record<ClaimFinding['verdict'], string> = { unbacked: '● claim without action', backed: 'claim backed', negated: 'claim negated' };

function ClaimLine({ traceId, finding, file }: { traceId: string; finding: ClaimFinding; file: string }) {
  const bad = finding.verdict === 'unbacked';
  return (
    <p class={bad ? 'finding finding-bad' : 'finding finding-safe'} data-testid={`finding-claim-${finding.verdict}`}>
      <span class={bad ? 'badge badge-error' : 'badge badge-ok'}>{CLAIM_LABEL[finding.verdict]}</span> {/[.!?]$/.test(finding.reason) ? finding.reason : `${finding.reason}.`} The answer at{' '}
      <StepLink traceId={traceId} step={finding.textStep} />: <q>{finding.excerpt}</q>
      {finding.matchedStep !== undefined && (
        <>
          {' '}
          (call: <StepLink traceId={traceId} step={finding.matchedStep} />)
        </>
      )}{' '}
      <span class="muted" title="a heuristic: the answer's words are matched against the phrases of this file">
        heuristic, phrases of {file}
      </span>
    </p>
  );
}

function StepLink({ traceId, step }: { traceId: string; step: number }) {
  return (
    <a href={runPath(traceId, step)} data-testid="finding-step">
      step {step}
    </a>
  );
}

function RepeatedLine({ traceId, pair }: { traceId: string; pair: RepeatedSideEffect }) {
  const safe = pair.verdict === 'safely-retried';
  return (
    <p class={safe ? 'finding finding-safe' : 'finding finding-bad'} data-testid={safe ? 'finding-safely-retried' : 'finding-repeated'}>
      <span class={safe ? 'badge badge-ok' : 'badge badge-error'}>{safe ? 'safely retried' : '● repeated side effect'}</span>{' '}
      <StepLink traceId={traceId} step={pair.repeat} /> repeats <StepLink traceId={traceId} step={pair.first} />{' '}
      <span class="mono">
        {pair.method} {pair.url}
      </span>{' '}
      {formatDuration(pair.gapMs)} later
      {safe
        ? `, with the same Idempotency-Key "${pair.idempotencyKey}".`
        : pair.firstFailure !== undefined
          ? `, after step ${pair.first} failed in the app (${pair.firstFailure}): if it had succeeded server-side, this did it twice.`
          : ', and both succeeded: check that doing it twice was meant.'}
    </p>
  );
}
