import type { ReplayDetail, ReplayStepOutcome, RunDetail, StepSummary } from '../../src/api.js';
import { api } from '../api-client.js';
import { OutcomeBadge } from '../components/badges.js';
import { DiffTable } from '../components/diff-table.js';
import { ErrorBox } from '../components/error-box.js';
import { StepCell } from '../components/step-cell.js';
import { formatLocalTime, shortId } from '../format.js';
import { runPath } from '../router.js';
import { useScrollIntoViewOnce } from '../scroll-into-view.js';
import { useApi } from '../use-api.js';

const OUTCOME_TEXT: Record<ReplayStepOutcome, string> = {
  served: '✓ served from tape',
  overridden: '✎ overridden',
  unanswered: '… left unanswered, as recorded',
  unconsumed: '○ not asked for',
  live: '⚡ made live',
};

export function ReplayPage({ replayTraceId }: { replayTraceId: string }) {
  const replay = useApi<ReplayDetail>(api.replay(replayTraceId));
  const recording = useApi<RunDetail>(replay.data ? api.run(replay.data.replayOf) : null);
  if (replay.error) return <ErrorBox title={`Replay ${replayTraceId}`} error={replay.error} />;
  if (!replay.data) return <p class="muted">Loading the replay…</p>;
  const detail = replay.data;
  return (
    <section class="page replay-page">
      <ReplayHeader replay={detail} recording={recording.data} />
      {recording.error && <ErrorBox title={`Recording ${detail.replayOf}`} error={recording.error} />}
      <div class="two-col">
        <div>
          <h2>Recorded steps and what the replay did with each</h2>
          {recording.data ? <StepsTable replay={detail} steps={recording.data.steps} /> : !recording.error && <p class="muted">Loading the recording…</p>}
        </div>
        <div>
          <h2>Blocked calls ({detail.blockedCalls.length})</h2>
          <Divergences replay={detail} />
        </div>
      </div>
    </section>
  );
}

function ReplayHeader({ replay, recording }: { replay: ReplayDetail; recording: RunDetail | undefined }) {
  const { counts } = replay;
  return (
    <header>
      <div class="run-header">
        <h1>
          Replay of <a href={runPath(replay.replayOf)}>{recording ? `${recording.run.serviceName} · ${recording.run.name}` : shortId(replay.replayOf)}</a>
        </h1>
        <OutcomeBadge outcome={replay.outcome} />
      </div>
      <dl class="facts">
        <div>
          <dt>replay trace</dt>
          <dd class="mono">{replay.traceId}</dd>
        </div>
        <div>
          <dt>recording</dt>
          <dd class="mono">{replay.replayOf}</dd>
        </div>
        <div>
          <dt>started</dt>
          <dd>{formatLocalTime(replay.start)}</dd>
        </div>
        <div>
          <dt>exit code</dt>
          <dd class={replay.exitCode === 0 || replay.exitEndedByTracetape ? undefined : 'bad-marker'}>{replay.exitCode}</dd>
        </div>
        {replay.endedAsRecorded && (
          <div>
            <dt>ended</dt>
            <dd data-testid="ended-as-recorded">
              by {replay.endedAsRecorded.signal} at step {replay.endedAsRecorded.step}
              {replay.endedAsRecorded.process ? ` in process ${replay.endedAsRecorded.process}` : ''}, as the recording was
            </dd>
          </div>
        )}
        <div>
          <dt>served</dt>
          <dd>{counts.served}</dd>
        </div>
        <div>
          <dt>blocked</dt>
          <dd class={counts.blocked > 0 ? 'bad-marker' : undefined}>{counts.blocked}</dd>
        </div>
        <div>
          <dt>not asked for</dt>
          <dd>{counts.unconsumed}</dd>
        </div>
        <div>
          <dt>side effects suppressed</dt>
          <dd>{counts.sideEffectsSuppressed}</dd>
        </div>
        <div>
          <dt>command</dt>
          <dd class="mono">{replay.command.join(' ')}</dd>
        </div>
      </dl>
    </header>
  );
}

function StepsTable({ replay, steps }: { replay: ReplayDetail; steps: StepSummary[] }) {
  const outcomes = new Map(replay.steps.map((s) => [s.step, s.outcome]));
  const closest = new Map<number, number[]>();
  replay.blockedCalls.forEach((call, i) => {
    if (call.closestStep !== undefined) closest.set(call.closestStep, [...(closest.get(call.closestStep) ?? []), i + 1]);
  });
  return (
    <div class="scroll-pane">
      <table class="replay-steps">
        <thead>
          <tr>
            <th>Recording</th>
            <th>Replay</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step) => {
            const outcome = outcomes.get(step.step);
            const blocked = closest.get(step.step);
            return (
              <tr key={step.step} id={`recorded-step-${step.step}`} class={`replay-step${blocked ? ' closest' : ''}`} data-testid="replay-step" data-step={step.step} data-outcome={outcome}>
                <td>
                  <StepCell traceId={replay.replayOf} step={step} />
                </td>
                <td class="nowrap">
                  {outcome ? <span class={`outcome outcome-${outcome}`}>{OUTCOME_TEXT[outcome]}</span> : <span class="muted">?</span>}
                  {blocked && <span class="bad-marker"> ⚠ closest to blocked call {blocked.map((n) => `#${n}`).join(', ')}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Divergences({ replay }: { replay: ReplayDetail }) {
  const firstRef = useScrollIntoViewOnce<HTMLDivElement>();
  if (replay.blockedCalls.length === 0) return <p class="muted">None: every call the replay made was taken from the tape.</p>;
  return (
    <div>
      {replay.blockedCalls.map((call, i) => (
        <div key={call.callIndex} ref={i === 0 ? firstRef : undefined} class={`divergence${i === 0 ? ' first' : ''}`} data-testid="divergence" data-call-index={call.callIndex}>
          <div>
            <strong>
              #{i + 1} {i === 0 && <span class="first-label">first divergence</span>}
            </strong>{' '}
            <span class="mono">
              {call.method} {call.url}
            </span>
          </div>
          <div class="reason">{call.reason}</div>
          <div>
            {call.closestStep !== undefined ? (
              <>
                closest recorded step: <a href={runPath(replay.replayOf, call.closestStep)}>step {call.closestStep}</a>{' '}
                <a class="muted" href={`#recorded-step-${call.closestStep}`} onClick={(e) => revealRow(e, call.closestStep!)}>
                  (show beside)
                </a>
              </>
            ) : (
              <span class="muted">no recorded step is close to it</span>
            )}
          </div>
          <DiffTable diff={call.diff} />
        </div>
      ))}
    </div>
  );
}

function revealRow(event: MouseEvent, step: number): void {
  // An in-page anchor would go through the app's link handling and replace the route.
  event.preventDefault();
  const row = document.getElementById(`recorded-step-${step}`);
  row?.scrollIntoView({ block: 'center' });
  row?.classList.add('flash');
  setTimeout(() => row?.classList.remove('flash'), 1200);
}
