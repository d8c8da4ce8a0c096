import type { RunDetail } from '../../src/api.js';
import { formatDuration, formatLocalTime, shortId } from '../format.js';
import { replayPath, runPath } from '../router.js';
import { OutcomeBadge, StateNote, StatusBadge } from './badges.js';

export function RunHeader({ detail }: { detail: RunDetail }) {
  const { run, replays, reads } = detail;
  return (
    <header>
      <div class="run-header">
        <h1>
          {run.serviceName} · {run.name || '(unnamed)'}
        </h1>
        <StatusBadge status={run.status} />
        <StateNote run={run} />
        {run.type === 'replay' && run.replayOf && (
          <span>
            replay of <a href={runPath(run.replayOf)}>{shortId(run.replayOf)}</a> {run.outcome && <OutcomeBadge outcome={run.outcome} />}
          </span>
        )}
      </div>
      <dl class="facts">
        <div>
          <dt>trace</dt>
          <dd class="mono">{run.traceId}</dd>
        </div>
        <div>
          <dt>started</dt>
          <dd>{formatLocalTime(run.start)}</dd>
        </div>
        <div>
          <dt>took</dt>
          <dd>{formatDuration(run.durationMs)}</dd>
        </div>
        <div>
          <dt>calls</dt>
          <dd>{run.callCount}</dd>
        </div>
        {run.models.length > 0 && (
          <div>
            <dt>models</dt>
            <dd class="mono">{run.models.join(', ')}</dd>
          </div>
        )}
        <div>
          <dt>reads</dt>
          <dd>
            clock {reads.clock} · random {reads.random} · uuid {reads.uuid} · bytes {reads.bytes}
          </dd>
        </div>
        {run.command && (
          <div>
            <dt>command</dt>
            <dd class="mono">{run.command.join(' ')}</dd>
          </div>
        )}
      </dl>
      {run.incomplete && <div class="note">Incomplete recording: {run.incomplete}</div>}
      {replays.length > 0 && (
        <div class="replay-links">
          <span class="muted">Replays:</span>
          {replays.map((replay) => (
            <span key={replay.traceId}>
              <a data-testid="replay-link" href={replayPath(replay.traceId)}>
                {formatLocalTime(replay.start)} ({shortId(replay.traceId)})
              </a>{' '}
              <OutcomeBadge outcome={replay.outcome} />
            </span>
          ))}
        </div>
      )}
    </header>
  );
}
