import { useState } from 'preact/hooks';
import type { Comparison, ComparisonRow, RunListItem } from '../../src/api.js';
import { api } from '../api-client.js';
import { OutcomeBadge, StatusBadge } from '../components/badges.js';
import { DiffTable } from '../components/diff-table.js';
import { ErrorBox } from '../components/error-box.js';
import { StepCell } from '../components/step-cell.js';
import { formatDuration, formatLocalTime } from '../format.js';
import { comparePath, navigate, runPath } from '../router.js';
import { useScrollIntoViewOnce } from '../scroll-into-view.js';
import { useApi } from '../use-api.js';

const RELATION_TEXT: Record<ComparisonRow['relation'], string> = {
  same: '=',
  changed: '≠ changed',
  'only-a': '← only in A',
  'only-b': 'only in B →',
};

export function ComparePage({ a, b }: { a: string; b: string }) {
  const [inputA, setInputA] = useState(a);
  const [inputB, setInputB] = useState(b);
  const { data, error, loading } = useApi<Comparison>(a && b ? api.compare(a, b) : null);
  return (
    <section class="page compare-page">
      <h1>Compare two runs</h1>
      <form
        class="compare-form"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(comparePath(inputA.trim(), inputB.trim()));
        }}
      >
        <label>
          A{' '}
          <input data-testid="compare-a" placeholder="trace ID" value={inputA} onInput={(e) => setInputA(e.currentTarget.value)} />
        </label>
        <label>
          B{' '}
          <input data-testid="compare-b" placeholder="trace ID" value={inputB} onInput={(e) => setInputB(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!inputA.trim() || !inputB.trim()}>
          Compare
        </button>
      </form>
      {!(a && b) && <p class="muted">Give two trace IDs, or check two runs in the runs list.</p>}
      {error && <ErrorBox error={error} />}
      {loading && !data && <p class="muted">Comparing…</p>}
      {data && <ComparisonView comparison={data} />}
    </section>
  );
}

function RunSide({ label, run }: { label: string; run: RunListItem }) {
  return (
    <div>
      <h2>
        {label}: <a href={runPath(run.traceId)}>{run.serviceName} · {run.name}</a> <StatusBadge status={run.status} /> {run.outcome && <OutcomeBadge outcome={run.outcome} />}
      </h2>
      <div class="muted">
        <span class="mono">{run.traceId}</span> · {formatLocalTime(run.start)} · {formatDuration(run.durationMs)} · {run.callCount} calls
        {run.models.length > 0 && ` · ${run.models.join(', ')}`}
      </div>
    </div>
  );
}

function ComparisonView({ comparison }: { comparison: Comparison }) {
  const firstRef = useScrollIntoViewOnce<HTMLTableRowElement>();
  const { a, b, rows, firstDifference } = comparison;
  const changed = rows.filter((row) => row.relation !== 'same').length;
  return (
    <>
      <div class="two-col">
        <RunSide label="A" run={a} />
        <RunSide label="B" run={b} />
      </div>
      <p>
        {firstDifference === undefined ? '✓ The two runs made the same calls throughout.' : `${changed} of ${rows.length} rows differ; the first is row ${firstDifference + 1}.`}
      </p>
      <table class="compare-rows">
        <thead>
          <tr>
            <th>A</th>
            <th />
            <th>B</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const first = i === firstDifference;
            return [
              <tr
                key={`row-${i}`}
                ref={first ? firstRef : undefined}
                class={`compare-row rel-${row.relation}${first ? ' first-difference' : ''}`}
                data-testid="compare-row"
                data-relation={row.relation}
                data-first-difference={first ? 'true' : undefined}
              >
                <td>{row.a ? <StepCell traceId={a.traceId} step={row.a} /> : <span class="empty-cell">—</span>}</td>
                <td class="relation">
                  {first && <span class="first-label">first difference</span>} {RELATION_TEXT[row.relation]}
                </td>
                <td>{row.b ? <StepCell traceId={b.traceId} step={row.b} /> : <span class="empty-cell">—</span>}</td>
              </tr>,
              row.relation === 'changed' && row.diff ? (
                <tr key={`diff-${i}`} class="compare-diff">
                  <td colSpan={3}>
                    <DiffTable diff={row.diff} />
                  </td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </>
  );
}
