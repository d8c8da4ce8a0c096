import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ChdbSpanStore, type SpanRow } from '@tracetape/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoute } from '../packages/ui/web/router.js';
import { tempDir } from './support/cli.js';
import { runsDashboardPanels, sqlRecipe, type DashboardPanel } from './support/sql-docs.js';

/*
 * Repeated side effects in SQL, over spans written straight into a real embedded store (chDB): the
 * recipe of docs/sql-recipes.md ("Repeated side effects") and the panel of the runs dashboard that
 * runs it for the dashboard's time range. The runs, each a trace of recorded calls:
 *
 *   timed-out     GET the order, ask the model, POST a refund that times out, POST it again
 *                 (new timestamp in the body: another input hash, the same repeat key)   repeated, strong
 *   keyed         POST a refund that times out, POST it again with the same Idempotency-Key   safely retried, strong
 *   refused       POST a refund the shop refuses (409), POST it again                      repeated, weak
 *   two-refunds   POST two different refunds                                               nothing
 *   llm           ask the model the same question twice                                    nothing
 *   old           a timed-out refund sent again, ten days ago: outside both time ranges      nothing
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.now();
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A DateTime64(9) as the store takes it (UTC). */
function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
}

interface Call {
  /** Milliseconds after the run started. */
  at: number;
  attributes: Record<string, string>;
  error?: string;
}

interface Run {
  traceId: string;
  spans: SpanRow[];
  /** The span IDs of its recorded calls, in step order. */
  steps: string[];
}

function span(traceId: string, parent: string, at: number, name: string, attributes: Record<string, string>, error?: string): SpanRow {
  return {
    Timestamp: timestamp(at), TraceId: traceId, SpanId: hex(8), ParentSpanId: parent, TraceState: '',
    SpanName: name, SpanKind: parent ? 'Client' : 'Internal', ServiceName: 'support-agent',
    ResourceAttributes: { 'service.name': 'support-agent' }, ScopeName: '@tracetape/instrumentation', ScopeVersion: '',
    SpanAttributes: attributes, Duration: '250000000', StatusCode: error !== undefined ? 'Error' : 'Unset', StatusMessage: error ?? '',
    'Events.Timestamp': [], 'Events.Name': [], 'Events.Attributes': [],
    'Links.TraceId': [], 'Links.SpanId': [], 'Links.TraceState': [], 'Links.Attributes': [],
  };
}

/** A run that started `agoMs` ago: its root span and one span per call. */
function run(agoMs: number, calls: Call[]): Run {
  const traceId = hex(16);
  const started = NOW - agoMs;
  const root = span(traceId, '', started, 'agent.mjs', { 'tracetape.run': 'process' });
  const spans = calls.map((call) => span(traceId, root.SpanId, started + call.at, call.attributes['tracetape.request.method']!, call.attributes, call.error));
  return { traceId, spans: [root, ...spans], steps: spans.map((s) => s.SpanId) };
}

/** A recorded HTTP call as capture writes it: no tracetape.side_effect, the method decides. */
function http(method: string, target: string, repeatKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'tracetape.kind': 'http', 'tracetape.input.hash': hex(32), 'tracetape.request.method': method, 'tracetape.request.target': target,
    'tracetape.repeat.key': repeatKey, 'url.full': target, ...extra,
  };
}
const REFUNDS = 'https://shop.example/refunds';
const refund = (repeatKey: string, extra: Record<string, string> = {}) => http('POST', REFUNDS, repeatKey, extra);
const chat = (repeatKey: string) => ({ ...http('POST', 'https://api.openai.com/v1/chat/completions', repeatKey), 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat' });
const TIMED_OUT = 'The operation was aborted due to timeout';

const refundKey = hex(32);
const RUNS = {
  timedOut: run(10 * MINUTE, [
    { at: 10, attributes: http('GET', 'https://shop.example/orders/A-1001', hex(32), { 'http.response.status_code': '200' }) },
    { at: 300, attributes: chat(hex(32)) },
    { at: 1200, attributes: refund(refundKey), error: TIMED_OUT },
    { at: 1700, attributes: refund(refundKey, { 'http.response.status_code': '201' }) },
  ]),
  keyed: run(8 * MINUTE, [
    { at: 5, attributes: refund(refundKey, { 'tracetape.idempotency_key': 'refund-A-1001' }), error: TIMED_OUT },
    { at: 2505, attributes: refund(refundKey, { 'tracetape.idempotency_key': 'refund-A-1001', 'http.response.status_code': '201' }) },
  ]),
  refused: run(6 * MINUTE, [
    { at: 5, attributes: refund(refundKey, { 'http.response.status_code': '409' }), error: 'Conflict' },
    { at: 1005, attributes: refund(refundKey, { 'http.response.status_code': '409' }), error: 'Conflict' },
  ]),
  twoRefunds: run(4 * MINUTE, [
    { at: 5, attributes: refund(hex(32), { 'http.response.status_code': '201' }) },
    { at: 500, attributes: refund(hex(32), { 'http.response.status_code': '201' }) },
  ]),
  llm: run(2 * MINUTE, [
    { at: 5, attributes: chat(refundKey) },
    { at: 900, attributes: chat(refundKey) },
  ]),
  old: run(10 * DAY, [
    { at: 5, attributes: refund(refundKey), error: TIMED_OUT },
    { at: 505, attributes: refund(refundKey, { 'http.response.status_code': '201' }) },
  ]),
};


const dashboard = { panels: runsDashboardPanels() };
const PANEL = dashboard.panels.find((p) => p.title === 'Repeated side effects' && p.type === 'table')!;

/** The panel's SQL with `$__timeFilter` as the ClickHouse plugin expands it, for the last day. */
function panelSql(): string {
  const sql = PANEL.targets![0]!.rawSql!;
  const [from, to] = [Math.floor((NOW - DAY) / 1000), Math.ceil(NOW / 1000) + 3600];
  const expanded = sql.replace(/\$__timeFilter\(([^)]+)\)/g, `$1 >= toDateTime64(${from}, 3) AND $1 <= toDateTime64(${to}, 3)`);
  expect(expanded).not.toContain('$');
  return expanded;
}

interface PairRow {
  trace_id: string;
  service: string;
  method: string;
  target: string;
  first_step: number | string;
  repeat_step: number | string;
  first_span_id: string;
  repeat_span_id: string;
  seconds_between: number | string;
  first_status: string;
  idempotency_key_first: string;
  idempotency_key_repeat: string;
  verdict: string;
  strength: string;
}

const dir = tempDir('tracetape-repeated-sql-');
const store = new ChdbSpanStore({ dir: path.join(dir.dir, 'store') });

beforeAll(async () => {
  await store.init();
  await store.insert(Object.values(RUNS).flatMap((r) => r.spans), []);
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

async function rows<T>(sql: string): Promise<T[]> {
  return (JSON.parse(await store.query(sql, 'JSON')) as { data: T[] }).data;
}

/** The pair of a run's recorded calls at these steps (1-based), as the query should give it. */
function pair(which: Run, first: number, repeat: number, expected: Partial<PairRow>): PairRow {
  const [a, b] = [which.spans.find((s) => s.SpanId === which.steps[first - 1])!, which.spans.find((s) => s.SpanId === which.steps[repeat - 1])!];
  return {
    trace_id: which.traceId,
    service: 'support-agent',
    method: 'POST',
    target: REFUNDS,
    first_step: first,
    repeat_step: repeat,
    first_span_id: a.SpanId,
    repeat_span_id: b.SpanId,
    seconds_between: (Date.parse(`${b.Timestamp.replace(' ', 'T').slice(0, 23)}Z`) - Date.parse(`${a.Timestamp.replace(' ', 'T').slice(0, 23)}Z`)) / 1000,
    first_status: 'Error',
    idempotency_key_first: '',
    idempotency_key_repeat: '',
    verdict: 'repeated',
    strength: 'strong',
    ...expected,
  };
}

/** Numbers as numbers: 64-bit integers may arrive as strings. */
const normalized = (found: PairRow[]): PairRow[] =>
  found.map((row) => ({ ...row, first_step: Number(row.first_step), repeat_step: Number(row.repeat_step), seconds_between: Number(row.seconds_between) }));

const EXPECTED = (): PairRow[] => [
  // Newest first.
  pair(RUNS.refused, 1, 2, { verdict: 'repeated', strength: 'weak' }),
  pair(RUNS.keyed, 1, 2, { verdict: 'safely retried', idempotency_key_first: 'refund-A-1001', idempotency_key_repeat: 'refund-A-1001' }),
  // Step 1 is the GET of the order and step 2 the model call: neither is paired, both are steps.
  pair(RUNS.timedOut, 3, 4, {}),
];

for (const [source, sql] of [['docs/sql-recipes.md', () => sqlRecipe('## Repeated side effects')], ['the Grafana panel', panelSql]] as const) {
  describe(`repeated side effects from ${source}`, () => {
    it('pairs the timed-out refund with its unkeyed retry (repeated, strong), the keyed retry as safely retried, a refused one as weak; nothing else', async () => {
      expect(normalized(await rows<PairRow>(sql()))).toEqual(EXPECTED());
    });
  });
}

describe('runs with a repeated side effect (docs/sql-recipes.md)', () => {
  it('counts only the repeats nothing made safe', async () => {
    const found = await rows<{ trace_id: string; service: string; run: string; repeats: number | string }>(sqlRecipe('### Runs with a repeated side effect'));
    expect(found.map((r) => [r.trace_id, r.service, r.run, Number(r.repeats)])).toEqual([
      [RUNS.refused.traceId, 'support-agent', 'agent.mjs', 1],
      [RUNS.timedOut.traceId, 'support-agent', 'agent.mjs', 1],
    ]);
  });
});

describe('the Repeated side effects panel', () => {
  it('runs the recipe, for the dashboard time range instead of the last 7 days', () => {
    const oneLine = (sql: string): string => sql.replace(/\s+/g, ' ').trim();
    const fromRecipe = oneLine(sqlRecipe('## Repeated side effects')).replace('Timestamp >= now() - INTERVAL 7 DAY', '$__timeFilter(Timestamp)');
    expect(oneLine(PANEL.targets![0]!.rawSql!)).toBe(fromRecipe);
  });

  it('sits in its own row below the others', () => {
    const row = dashboard.panels.find((p) => p.type === 'row' && p.title === 'Side effects')!;
    expect(row).toBeDefined();
    expect(PANEL.gridPos.y).toBe(row.gridPos.y + row.gridPos.h);
    const lowestElse = Math.max(...dashboard.panels.filter((p) => p !== row && p !== PANEL).map((p) => p.gridPos.y + p.gridPos.h));
    expect(row.gridPos.y).toBe(lowestElse);
  });

  it('links each step to that step of the run in tracetape ui', async () => {
    const [found] = await rows<PairRow>(panelSql());
    const stepLinks = PANEL.fieldConfig!.overrides!.filter((o) => o.matcher.id === 'byNames' && (o.matcher.options as { mode: string }).mode === 'include');
    expect(stepLinks.map((o) => o.matcher.options)).toEqual([{ mode: 'include', names: ['first_step', 'repeat_step'] }]);
    const [link] = stepLinks[0]!.properties.find((p) => p.id === 'links')!.value as { url: string }[];
    for (const column of ['first_step', 'repeat_step'] as const) {
      // As Grafana interpolates a data link: the row's trace_id field, the cell's value.
      const url = new URL(
        link!.url.replace('${tracetape_ui}', 'http://127.0.0.1:8273').replace('${__data.fields.trace_id}', found!.trace_id).replace('${__value.raw}', String(found![column])),
      );
      expect(parseRoute(url.pathname, url.search)).toEqual({ page: 'run', traceId: found!.trace_id, step: Number(found![column]) });
    }
  });
});
