import type { InventoryDoor, InventoryEntry, InventoryReport, UnplacedCalls } from '@tracetape/core';
import type { Palette } from './colour.js';

/** What `tracetape inventory --format json` prints: built by core's inventoryReport(). */
export type { InventoryReport };

/** How a door is titled where a person reads it. */
const DOOR_TITLES: Record<InventoryDoor, string> = {
  http: 'HTTP',
  llm: 'LLM',
  grpc: 'gRPC',
  websocket: 'WebSocket',
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  redis: 'Redis',
  process: 'Programs',
  mcp: 'MCP servers',
  dns: 'DNS',
};

export function inventoryJson(report: InventoryReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * A document to commit and review: the period, then (with --compare) what is new, then one
 * section per service with one table per door. Nothing in it depends on when it was made but the
 * period, so the same recordings over the same period give the same bytes.
 */
export function inventoryMarkdown(report: InventoryReport): string {
  const lines = ['# External systems inventory', '', `Recorded calls from ${when(report.period.since)} to ${when(report.period.until)} (UTC)${serviceClause(report)}.`, ''];
  if (report.compare) lines.push(...comparisonMarkdown(report.compare));
  if (report.entries.length === 0) {
    lines.push(nothingRecorded(report), '');
  }
  for (const [service, entries] of groupBy(report.entries, (e) => e.service)) {
    lines.push(`## Service ${code(service)}`, '');
    for (const [door, doorEntries] of groupBy(entries, (e) => e.door)) {
      lines.push(`### ${DOOR_TITLES[door]}`, '');
      lines.push('| system | operation | calls | errors | first seen | last seen | mutates | credentials |');
      lines.push('|---|---|--:|--:|---|---|---|---|');
      for (const e of doorEntries) {
        const cells = [code(e.system), code(e.operation), String(e.calls), errorsText(e), when(e.firstSeen), when(e.lastSeen), e.mutates ? '**yes**' : 'no', credentialsText(e.credentials, code)];
        lines.push(`| ${cells.join(' | ')} |`);
      }
      lines.push('');
    }
  }
  if (report.unplaced?.length) lines.push(unplacedText(report.unplaced), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function comparisonMarkdown(compare: NonNullable<InventoryReport['compare']>): string[] {
  const lines = ['## New since the previous period', '', `Compared with ${when(compare.previous.since)} to ${when(compare.previous.until)} (UTC).`, ''];
  if (compare.newSystems.length === 0 && compare.newMutatingOperations.length === 0) {
    return [...lines, 'Nothing new: no system and no mutating operation that the previous period did not see.', ''];
  }
  if (compare.newSystems.length > 0) {
    lines.push('### New systems', '', '| service | door | system | calls | first seen |', '|---|---|---|--:|---|');
    for (const s of compare.newSystems) lines.push(`| ${code(s.service)} | ${DOOR_TITLES[s.door]} | ${code(s.system)} | ${s.calls} | ${when(s.firstSeen)} |`);
    lines.push('');
  }
  if (compare.newMutatingOperations.length > 0) {
    lines.push('### New mutating operations', '', '| service | door | system | operation | calls | first seen | credentials |', '|---|---|---|---|--:|---|---|');
    for (const e of compare.newMutatingOperations) {
      lines.push(`| ${code(e.service)} | ${DOOR_TITLES[e.door]} | ${code(e.system)} | ${code(e.operation)} | ${e.calls} | ${when(e.firstSeen)} | ${credentialsText(e.credentials, code)} |`);
    }
    lines.push('');
  }
  return lines;
}

/** Aligned columns for a terminal, mutating entries marked; with --compare, what is new comes first. */
export function inventoryTable(report: InventoryReport, colour: Palette): string {
  const out: string[] = [];
  if (report.compare) out.push(...comparisonTable(report.compare, colour), '');
  if (report.entries.length === 0) {
    out.push(nothingRecorded(report));
  } else {
    out.push(`Recorded calls from ${when(report.period.since)} to ${when(report.period.until)} (UTC)${serviceClause(report)}:`, '');
    const titles = ['service', 'door', 'system', 'operation', 'calls', 'errors', 'first seen', 'last seen', 'mutates', 'credentials'];
    const rows = report.entries.map((e) => [e.service, e.door, e.system, e.operation, String(e.calls), errorsText(e), when(e.firstSeen), when(e.lastSeen), e.mutates ? 'MUTATES' : '-', credentialsText(e.credentials, (t) => t)]);
    out.push(...aligned(titles, rows, colour, (cell, column) => (column === 8 && cell.trim() === 'MUTATES' ? colour.yellow(cell) : column === 5 && cell.trim() !== '0' ? colour.red(cell) : cell)));
  }
  if (report.unplaced?.length) out.push('', unplacedText(report.unplaced));
  return `${out.join('\n')}\n`;
}

function comparisonTable(compare: NonNullable<InventoryReport['compare']>, colour: Palette): string[] {
  const heading = `New since the previous period (${when(compare.previous.since)} to ${when(compare.previous.until)} UTC):`;
  if (compare.newSystems.length === 0 && compare.newMutatingOperations.length === 0) {
    return [`${heading} nothing: no system and no mutating operation that the previous period did not see.`];
  }
  const out = [colour.bold(heading)];
  for (const s of compare.newSystems) out.push(`  ${colour.yellow('NEW SYSTEM')}     ${s.service}  ${s.door}  ${s.system}  (${s.calls} call${s.calls === 1 ? '' : 's'}, first ${when(s.firstSeen)})`);
  for (const e of compare.newMutatingOperations) out.push(`  ${colour.yellow('NEW MUTATING')}   ${e.service}  ${e.door}  ${e.system}  ${e.operation}  (${e.calls} call${e.calls === 1 ? '' : 's'}, first ${when(e.firstSeen)})`);
  return out;
}

function aligned(titles: string[], rows: string[][], colour: Palette, paint: (cell: string, column: number) => string): string[] {
  const widths = titles.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  // Padded before colouring: escape codes take no columns on screen.
  const line = (cells: string[], style: (cell: string, column: number) => string) =>
    cells.map((cell, i) => style(i === cells.length - 1 ? cell : cell.padEnd(widths[i]!), i)).join('  ').trimEnd();
  return [line(titles, (cell) => colour.bold(cell)), ...rows.map((row) => line(row, paint))];
}

function nothingRecorded(report: InventoryReport): string {
  return `No recorded calls between ${when(report.period.since)} and ${when(report.period.until)} (UTC)${serviceClause(report)}. Widen the period with --since, or record a run with \`tracetape record -- node app.js\`.`;
}

function unplacedText(unplaced: readonly UnplacedCalls[]): string {
  const kinds = unplaced.map((u) => `${u.calls} ${u.kind}`).join(', ');
  return `Left out: calls of kinds this tracetape does not know (${kinds}), recorded by a newer tracetape. Upgrade tracetape to list them.`;
}

function serviceClause(report: InventoryReport): string {
  return report.service !== undefined ? `, service ${report.service}` : '';
}

function errorsText(e: InventoryEntry): string {
  return e.errors === 0 ? '0' : `${e.errors} (${Math.round(e.errorRate * 100)}%)`;
}

function credentialsText(credentials: readonly string[], style: (text: string) => string): string {
  return credentials.length === 0 ? '-' : credentials.map(style).join(', ');
}

/** `2026-06-01 10:00:00`: an ISO instant to the second, UTC. */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

/** A code span for a markdown table cell; pipes escaped, and a plain cell for text holding a backtick. */
function code(text: string): string {
  const escaped = text.replace(/\|/g, '\\|');
  return text.includes('`') ? escaped : `\`${escaped}\``;
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
