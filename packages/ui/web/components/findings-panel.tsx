import type { RepeatedSideEffect, RunFindings } from '../../src/api.js';
import { formatDuration } from '../format.js';
import { runPath } from '../router.js';

/**
 * The run's findings above its waterfall: each names the steps involved as links, so the two
 * refunds are one click away. Nothing is shown for a run with none: no banner to learn to ignore.
 */
export function FindingsPanel({ traceId, findings }: { traceId: string; findings: RunFindings }) {
  if (findings.repeated.length === 0) return null;
  return (
    <section class="findings" data-testid="findings" aria-label="Findings">
      {findings.repeated.map((pair) => (
        <RepeatedLine key={`${pair.first}-${pair.repeat}`} traceId={traceId} pair={pair} />
      ))}
    </section>
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
