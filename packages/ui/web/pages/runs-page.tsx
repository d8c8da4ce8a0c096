import { useState } from 'preact/hooks';
import type { RunListItem, RunListResponse } from '../../src/api.js';
import { api } from '../api-client.js';
import { OutcomeBadge, StateNote, StatusBadge } from '../components/badges.js';
import { ErrorBox } from '../components/error-box.js';
import { formatDuration, formatLocalTime, isoToLocalInput, localInputToIso, shortId } from '../format.js';
import { comparePath, navigate, replayPath, runPath } from '../router.js';
import { filtersFromQuery, filtersToQuery, parseAttrFilter, type RunFilters } from '../run-filters.js';
import { useApi } from '../use-api.js';
import { usePageFilters } from '../use-page-filters.js';

export function RunsPage({ query }: { query: URLSearchParams }) {
  const { filters, applied, update } = usePageFilters<RunFilters>(query, '/', filtersFromQuery, filtersToQuery);
  const [selected, setSelected] = useState<string[]>([]);
  const limit = query.get('limit');

  const apiQuery = new URLSearchParams(applied);
  if (limit) apiQuery.set('limit', limit);
  const { data, error, loading } = useApi<RunListResponse>(api.runs(apiQuery));
  const attrError = parseAttrFilter(filters.attr).error;

  const toggle = (traceId: string): void =>
    setSelected((current) => (current.includes(traceId) ? current.filter((id) => id !== traceId) : [...current, traceId].slice(-2)));

  return (
    <section class="page runs-page">
      <h1>Runs</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Service
          <select data-testid="filter-service" value={filters.service} onChange={(e) => update({ service: e.currentTarget.value })}>
            <option value="">all</option>
            {(data?.services ?? (filters.service ? [filters.service] : [])).map((service) => (
              <option key={service} value={service}>
                {service}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input data-testid="filter-name" type="search" placeholder="contains…" value={filters.name} onInput={(e) => update({ name: e.currentTarget.value }, true)} />
        </label>
        <label>
          Status
          <select data-testid="filter-status" value={filters.status} onChange={(e) => update({ status: e.currentTarget.value as RunFilters['status'] })}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="diverged">diverged</option>
          </select>
        </label>
        <label>
          Since
          <input data-testid="filter-since" type="datetime-local" value={isoToLocalInput(filters.since)} onChange={(e) => update({ since: localInputToIso(e.currentTarget.value) })} />
        </label>
        <label>
          Until
          <input data-testid="filter-until" type="datetime-local" value={isoToLocalInput(filters.until)} onChange={(e) => update({ until: localInputToIso(e.currentTarget.value) })} />
        </label>
        <label class="wide">
          Attribute
          <input
            data-testid="filter-attr"
            type="search"
            placeholder="key=value, e.g. gen_ai.request.model=gpt-4o"
            value={filters.attr}
            aria-invalid={attrError ? 'true' : undefined}
            onInput={(e) => update({ attr: e.currentTarget.value }, true)}
          />
          {attrError && <small class="field-error">{attrError}</small>}
        </label>
        <div class="compare-action">
          <button type="button" data-testid="compare-button" disabled={selected.length !== 2} onClick={() => navigate(comparePath(selected[0]!, selected[1]!))}>
            Compare {selected.length === 2 ? 'the two checked runs' : `(check two runs: ${selected.length}/2)`}
          </button>
        </div>
      </form>
      {error && <ErrorBox error={error} />}
      {data && <RunsTable runs={data.runs} selected={selected} onToggle={toggle} />}
      {loading && !data && <p class="muted">Loading runs…</p>}
    </section>
  );
}

function RunsTable({ runs, selected, onToggle }: { runs: RunListItem[]; selected: string[]; onToggle: (traceId: string) => void }) {
  if (runs.length === 0) return <p class="muted">No runs match. Record one with <code>npx tracetape record -- node app.js</code>.</p>;
  return (
    <table class="runs-table">
      <thead>
        <tr>
          <th aria-label="select" />
          <th>Service</th>
          <th>Name</th>
          <th>Start</th>
          <th class="num">Duration</th>
          <th>Status</th>
          <th class="num">Calls</th>
          <th>Models</th>
          <th>Type</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <RunRow key={run.traceId} run={run} checked={selected.includes(run.traceId)} onToggle={onToggle} />
        ))}
      </tbody>
    </table>
  );
}

function RunRow({ run, checked, onToggle }: { run: RunListItem; checked: boolean; onToggle: (traceId: string) => void }) {
  // A replay is best read against its recording, so its row opens the replay page.
  const href = run.type === 'replay' ? replayPath(run.traceId) : runPath(run.traceId);
  const bad = run.status === 'Error' || run.outcome === 'diverged';
  return (
    <tr
      data-testid="run-row"
      data-trace-id={run.traceId}
      data-status={run.status}
      data-type={run.type}
      data-outcome={run.outcome}
      class={`run-row${bad ? ' run-bad' : ''}`}
      onClick={(event) => {
        if (event.target instanceof Element && event.target.closest('a, input, label')) return;
        navigate(href);
      }}
    >
      <td class="select-cell">
        <input type="checkbox" data-testid="run-select" aria-label={`select ${shortId(run.traceId)} to compare`} checked={checked} onChange={() => onToggle(run.traceId)} />
      </td>
      <td>{run.serviceName}</td>
      <td class="name-cell">
        {bad && <span class="bad-marker" title={run.status === 'Error' ? 'a span errored' : 'the replay diverged'}>● </span>}
        <a href={href}>{run.name || '(unnamed)'}</a> <StateNote run={run} />
      </td>
      <td class="nowrap">{formatLocalTime(run.start)}</td>
      <td class="num nowrap">{formatDuration(run.durationMs)}</td>
      <td>
        <StatusBadge status={run.status} />
        {run.repeatedSideEffects !== undefined && (
          <span class="badge badge-side" data-testid="repeated-badge" title="a side effect was done again with nothing making it safe: the run page names the steps">
            repeated side effect
          </span>
        )}
      </td>
      <td class="num">{run.callCount}</td>
      <td class="models">{run.models.join(', ')}</td>
      <td class="nowrap">
        {run.type === 'replay' ? (
          <>
            replay of {run.replayOf ? <a href={runPath(run.replayOf)}>{shortId(run.replayOf)}</a> : '?'} {run.outcome && <OutcomeBadge outcome={run.outcome} />}
          </>
        ) : (
          'recording'
        )}
      </td>
    </tr>
  );
}
