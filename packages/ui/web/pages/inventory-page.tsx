import { Fragment } from 'preact';
import type { InventoryEntry, InventoryResponse, InventorySystem } from '../../src/api.js';
import { api } from '../api-client.js';
import { ErrorBox } from '../components/error-box.js';
import { KindBadge } from '../components/kind-badge.js';
import { formatLocalTime } from '../format.js';
import { DEFAULT_SINCE, DOOR_TITLES, groupInOrder, inventoryFiltersFromQuery, inventoryFiltersToQuery, type InventoryFilters } from '../inventory-filters.js';
import { useApi } from '../use-api.js';
import { usePageFilters } from '../use-page-filters.js';

/** Every external system the recorded runs of a period touched: what `tracetape inventory` prints, as a page. */
export function InventoryPage({ query }: { query: URLSearchParams }) {
  const { filters, applied, update } = usePageFilters<InventoryFilters>(query, '/inventory', inventoryFiltersFromQuery, inventoryFiltersToQuery);

  const { data, error, loading } = useApi<InventoryResponse>(api.inventory(new URLSearchParams(applied)));

  return (
    <section class="page inventory-page">
      <h1>Inventory</h1>
      <p class="muted">Every external system the recorded runs touched, by service and door: calls, errors, what mutates, and the names (never the values) of the credentials used.</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Since
          <input
            data-testid="inventory-since"
            type="text"
            placeholder={`${DEFAULT_SINCE} (or 2026-06-01T09:30Z)`}
            value={filters.since}
            onInput={(e) => update({ since: e.currentTarget.value }, true)}
          />
        </label>
        <label>
          Until
          <input data-testid="inventory-until" type="text" placeholder="now" value={filters.until} onInput={(e) => update({ until: e.currentTarget.value }, true)} />
        </label>
        <label>
          Service
          <select data-testid="inventory-service-filter" value={filters.service} onChange={(e) => update({ service: e.currentTarget.value })}>
            <option value="">all</option>
            {(data?.services ?? []).concat(filters.service && !data?.services.includes(filters.service) ? [filters.service] : []).map((service) => (
              <option key={service} value={service}>
                {service}
              </option>
            ))}
          </select>
        </label>
        <label>
          Compare with the previous period
          <select data-testid="inventory-compare" value={filters.compare} onChange={(e) => update({ compare: e.currentTarget.value === 'same' ? 'same' : '' })}>
            <option value="">off</option>
            <option value="same">same length, just before</option>
          </select>
        </label>
      </form>
      <p class="muted field-help">A time back from now (30m, 2h, 7d, 1w) or an ISO time (2026-06-01, 2026-06-01T09:30Z; no zone: UTC).</p>
      {error && <ErrorBox error={error} />}
      {data && <Inventory report={data} />}
      {loading && !data && <p class="muted">Reading the inventory…</p>}
    </section>
  );
}

function Inventory({ report }: { report: InventoryResponse }) {
  const between = `${formatLocalTime(report.period.since)} and ${formatLocalTime(report.period.until)}`;
  return (
    <div data-testid="inventory" data-since={report.period.since} data-until={report.period.until}>
      {report.compare && <NewSincePrevious compare={report.compare} />}
      {report.entries.length === 0 ? (
        <p class="muted" data-testid="inventory-empty">
          No recorded calls between {between}
          {report.service !== undefined ? `, service ${report.service}` : ''}. Widen the period, or record a run with <code>npx tracetape record -- node app.js</code>.
        </p>
      ) : (
        <p class="muted">
          Recorded calls between {between}
          {report.service !== undefined ? `, service ${report.service}` : ''} (local time).
        </p>
      )}
      {groupInOrder(report.entries, (e) => e.service).map(([service, entries]) => (
        <section key={service} class="inventory-service" data-testid="inventory-service" data-service={service}>
          <h2>
            Service <code>{service}</code>
          </h2>
          {groupInOrder(entries, (e) => e.door).map(([door, doorEntries]) => (
            <div key={door} class="inventory-door" data-testid="inventory-door" data-door={door}>
              <h3>{DOOR_TITLES[door]}</h3>
              <EntriesTable entries={doorEntries} />
            </div>
          ))}
        </section>
      ))}
      {report.unplaced && report.unplaced.length > 0 && (
        <p class="note" data-testid="inventory-unplaced">
          Left out: calls of kinds this tracetape does not know ({report.unplaced.map((u) => `${u.calls} ${u.kind}`).join(', ')}), recorded by a newer tracetape. Upgrade tracetape
          to list them.
        </p>
      )}
    </div>
  );
}

function EntriesTable({ entries }: { entries: InventoryEntry[] }) {
  return (
    <table class="inventory-table inventory-entries">
      <thead>
        <tr>
          <th>System</th>
          <th>Operation</th>
          <th class="num">Calls</th>
          <th class="num">Errors</th>
          <th>First seen</th>
          <th>Last seen</th>
          <th>Mutates</th>
          <th>Credentials</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr
            key={`${e.system}\n${e.operation}\n${e.mutates}`}
            data-testid="inventory-row"
            data-door={e.door}
            data-system={e.system}
            data-operation={e.operation}
            data-mutates={String(e.mutates)}
            class={e.mutates ? 'mutating' : undefined}
          >
            <td class="mono">{e.system}</td>
            <td class="mono">{e.operation}</td>
            <td class="num">{e.calls}</td>
            <td class={`num nowrap${e.errors > 0 ? ' has-errors' : ''}`} data-testid="inventory-errors">
              {e.errors === 0 ? '0' : `${e.errors} (${Math.round(e.errorRate * 100)}%)`}
            </td>
            <td class="nowrap">{formatLocalTime(e.firstSeen)}</td>
            <td class="nowrap">{formatLocalTime(e.lastSeen)}</td>
            <td>{e.mutates ? <MutatesBadge /> : <span class="muted">no</span>}</td>
            <td data-testid="inventory-credentials">
              <Credentials names={e.credentials} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MutatesBadge() {
  return (
    <span class="badge badge-side" data-testid="mutates-badge" title="these calls change something outside: a method other than GET/HEAD/OPTIONS, a write statement or command, a tool call">
      ✎ mutates
    </span>
  );
}

function Credentials({ names }: { names: readonly string[] }) {
  if (names.length === 0) return <span class="muted">none</span>;
  return (
    <span class="credentials">
      {names.map((name, i) => (
        <Fragment key={name}>
          {i > 0 && ', '}
          <code data-testid="credential-name">{name}</code>
        </Fragment>
      ))}
    </span>
  );
}

function NewSincePrevious({ compare }: { compare: NonNullable<InventoryResponse['compare']> }) {
  const previous = `${formatLocalTime(compare.previous.since)} to ${formatLocalTime(compare.previous.until)}`;
  if (compare.newSystems.length === 0 && compare.newMutatingOperations.length === 0) {
    return (
      <p class="muted" data-testid="inventory-nothing-new">
        Nothing new since the previous period ({previous}): no system and no mutating operation it did not see.
      </p>
    );
  }
  return (
    <div class="inventory-new" data-testid="inventory-new" role="region" aria-label="New since the previous period">
      <h2>New since the previous period</h2>
      <p class="muted">Compared with {previous}.</p>
      {compare.newSystems.length > 0 && (
        <>
          <h3>New systems</h3>
          <table class="inventory-table">
            <thead>
              <tr>
                <th>Service</th>
                <th>Door</th>
                <th>System</th>
                <th class="num">Calls</th>
                <th>First seen</th>
              </tr>
            </thead>
            <tbody>
              {compare.newSystems.map((s: InventorySystem) => (
                <tr key={`${s.service}\n${s.door}\n${s.system}`} data-testid="new-system" data-door={s.door} data-system={s.system}>
                  <td>{s.service}</td>
                  <td>
                    <KindBadge kind={s.door} />
                  </td>
                  <td class="mono">{s.system}</td>
                  <td class="num">{s.calls}</td>
                  <td class="nowrap">{formatLocalTime(s.firstSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {compare.newMutatingOperations.length > 0 && (
        <>
          <h3>New mutating operations</h3>
          <table class="inventory-table">
            <thead>
              <tr>
                <th>Service</th>
                <th>Door</th>
                <th>System</th>
                <th>Operation</th>
                <th class="num">Calls</th>
                <th>First seen</th>
                <th>Credentials</th>
              </tr>
            </thead>
            <tbody>
              {compare.newMutatingOperations.map((e) => (
                <tr key={`${e.service}\n${e.door}\n${e.system}\n${e.operation}`} data-testid="new-mutating" data-door={e.door} data-system={e.system} data-operation={e.operation}>
                  <td>{e.service}</td>
                  <td>
                    <KindBadge kind={e.door} />
                  </td>
                  <td class="mono">{e.system}</td>
                  <td class="mono">{e.operation}</td>
                  <td class="num">{e.calls}</td>
                  <td class="nowrap">{formatLocalTime(e.firstSeen)}</td>
                  <td>
                    <Credentials names={e.credentials} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
