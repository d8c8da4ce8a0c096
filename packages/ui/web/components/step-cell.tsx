import type { StepSummary } from '../../src/api.js';
import { formatDuration } from '../format.js';
import { runPath } from '../router.js';
import { KindBadge, SideEffectBadge } from './kind-badge.js';

/** One step in a table cell: its number as a link to it in its run, its kind and its one line. */
export function StepCell({ traceId, step }: { traceId: string; step: StepSummary }) {
  return (
    <span class="cell-step">
      <a href={runPath(traceId, step.step)}>#{step.step}</a>
      <KindBadge kind={step.kind} />
      <span class="mono">{step.label}</span>
      {step.sideEffect && <SideEffectBadge />}
      <span class="muted">{formatDuration(step.durationMs)}</span>
    </span>
  );
}
