import type { ReplaySummary, RunListItem } from '../../src/api.js';

export function StatusBadge({ status }: { status: RunListItem['status'] }) {
  if (status === 'Error') return <span class="badge badge-error">● error</span>;
  // Unset is OpenTelemetry's default: nothing errored, and nothing declared the run ok either.
  if (status === 'Unset') return <span class="badge badge-unset" title="no span errored (status unset)">no error</span>;
  return <span class="badge badge-ok">ok</span>;
}

export function OutcomeBadge({ outcome }: { outcome: ReplaySummary['outcome'] }) {
  return outcome === 'diverged' ? <span class="badge badge-error">● diverged</span> : <span class="badge badge-ok">passed</span>;
}

export function StateNote({ run }: { run: Pick<RunListItem, 'state'> }) {
  if (!run.state) return null;
  return <span class="badge badge-warn">{run.state === 'recording' ? 'still recording' : 'incomplete'}</span>;
}
