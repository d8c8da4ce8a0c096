import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ChdbSpanStore, type SpanRow } from '@tracetape/clickhouse';
import type { StoredReplay, Tape, Verdict } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedReplaySpan } from '../packages/replay/src/stored-replay.js';
import { tempDir } from './support/cli.js';
import { runsDashboardPanels, sqlRecipe, type DashboardPanel } from './support/sql-docs.js';

/*
 * Fixture health, read off stored check runs in a real embedded store (chDB): the two queries of
 * docs/sql-recipes.md ("Fixture health") and the two panels of the runs dashboard that run them.
 * The check runs are the spans `tracetape check` stores (storedReplaySpan), at times set in the
 * past relative to the start of the test, so nothing waits for time to pass:
 *
 *   refund-once      interval 1 h   failed 3 h ago, passed 10 min ago          passing
 *   double-refund    interval 1 d   passed 5 h ago, failed 2 min ago           failing (last passed 5 h ago)
 *   nightly-export   interval 1 h   passed 5 h ago and 3 h ago, nothing since  stale (last passed 3 h ago)
 *   flaky-llm        interval 1 d   inconclusive 1 h ago, failed 30 min ago    failing, never passed
 *
 * beside a recorded run and a plain stored replay, which are not checks and must not count.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const NOW = Date.now();

interface Check {
  fixture: string;
  verdict: Verdict;
  agoMs: number;
  intervalMs: number;
}

const CHECKS: Check[] = [
  { fixture: 'refund-once', verdict: 'fail', agoMs: 3 * HOUR, intervalMs: HOUR },
  { fixture: 'refund-once', verdict: 'pass', agoMs: 10 * MINUTE, intervalMs: HOUR },
  { fixture: 'double-refund', verdict: 'pass', agoMs: 5 * HOUR, intervalMs: DAY },
  { fixture: 'double-refund', verdict: 'fail', agoMs: 2 * MINUTE, intervalMs: DAY },
  { fixture: 'nightly-export', verdict: 'pass', agoMs: 5 * HOUR, intervalMs: HOUR },
  { fixture: 'nightly-export', verdict: 'pass', agoMs: 3 * HOUR, intervalMs: HOUR },
  { fixture: 'flaky-llm', verdict: 'inconclusive', agoMs: HOUR, intervalMs: DAY },
  { fixture: 'flaky-llm', verdict: 'fail', agoMs: 30 * MINUTE, intervalMs: DAY },
];

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const recordedTraceIds: Record<string, string> = {};
const tapeOf = (fixture: string): Tape => {
  recordedTraceIds[fixture] ??= hex(16);
  return { traceId: recordedTraceIds[fixture], serviceName: 'support-agent', rootSpanId: hex(8) } as Tape;
};

/** A check run as `tracetape check` stores it. */
function checkSpan({ fixture, verdict, agoMs, intervalMs }: Check): SpanRow {
  const replay: StoredReplay = {
    report: { traceId: tapeOf(fixture).traceId, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [] },
    command: ['node', 'agent.mjs'],
    exitCode: verdict === 'pass' ? 0 : 1,
    outcome: verdict === 'pass' ? 'passed' : 'diverged',
    check: { fixture, mode: 'cassette', verdict, reasons: [], clauses: [], intervalSeconds: intervalMs / 1000 },
  };
  const startedMs = NOW - agoMs;
  return storedReplaySpan(tapeOf(fixture), replay, startedMs, startedMs + 1500);
}

/** What is not a check: a recorded run's root span, and a plain replay stored by `tracetape replay`. */
function otherSpans(): SpanRow[] {
  const recorded = checkSpan({ fixture: 'x', verdict: 'pass', agoMs: MINUTE, intervalMs: HOUR });
  const plainReplay = storedReplaySpan(tapeOf('refund-once'), { report: { traceId: recordedTraceIds['refund-once']!, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [] }, command: ['node', 'agent.mjs'], exitCode: 0, outcome: 'passed' }, NOW - MINUTE, NOW - MINUTE + 100);
  return [
    { ...recorded, SpanName: 'agent.mjs', ScopeName: '@tracetape/instrumentation', SpanAttributes: { 'tracetape.run': 'process' } },
    plainReplay,
  ];
}


const dashboard = { panels: runsDashboardPanels() };
const panel = (title: string): DashboardPanel => {
  const found = dashboard.panels.find((p) => p.title === title && p.type !== 'row');
  expect(found, title).toBeDefined();
  return found!;
};
/** A panel's SQL: it uses no Grafana macro, since fixture health does not depend on the dashboard's time range. */
const panelSql = (title: string): string => {
  const sql = panel(title).targets![0]!.rawSql!;
  expect(sql).not.toContain('$');
  return sql;
};

const PER_FIXTURE = {
  recipe: () => sqlRecipe("### Each fixture's health"),
  panel: () => panelSql("Each fixture's health"),
};
const COUNTS = {
  recipe: () => sqlRecipe('### How many fixtures pass, fail or are stale'),
  panel: () => panelSql('Fixtures by health'),
};

interface HealthRow {
  fixture: string;
  health: string;
  last_verdict: string;
  last_run: string;
  last_pass: string | null;
  seconds_since_last_pass: number | string | null;
  runs_in_interval: number | string;
  interval_s: number | string;
  replay_of: string;
}

const dir = tempDir('tracetape-fixture-health-');
const store = new ChdbSpanStore({ dir: path.join(dir.dir, 'store') });

beforeAll(async () => {
  await store.init();
  await store.insert([...CHECKS.map(checkSpan), ...otherSpans()], []);
});
afterAll(async () => {
  await store.close();
  dir.remove();
});

async function rows<T>(sql: string): Promise<{ rows: T[]; before: number; after: number }> {
  const before = Date.now();
  const text = await store.query(sql, 'JSON');
  const after = Date.now();
  return { rows: (JSON.parse(text) as { data: T[] }).data, before, after };
}

/** A DateTime64 as the store prints it (UTC), in epoch milliseconds. */
const epochMs = (value: string): number => Date.parse(`${value.replace(' ', 'T').slice(0, 23)}Z`);

for (const [source, which] of [['docs/sql-recipes.md', 'recipe'], ['the Grafana panels', 'panel']] as const) {
  describe(`fixture health from ${source}`, () => {
    it('gives each fixture its health: stale when not run within its interval, else by its latest verdict', async () => {
      const { rows: health, before, after } = await rows<HealthRow>(PER_FIXTURE[which]());
      // Failing first, then stale, then passing; the recorded run and the plain replay are not fixtures.
      expect(health.map((r) => [r.fixture, r.health, r.last_verdict])).toEqual([
        ['double-refund', 'failing', 'fail'],
        ['flaky-llm', 'failing', 'fail'],
        ['nightly-export', 'stale', 'pass'],
        ['refund-once', 'passing', 'pass'],
      ]);
      const byFixture = Object.fromEntries(health.map((r) => [r.fixture, r]));

      // Seconds since the last pass, from the time it passed to the time of the query (±1 s of rounding).
      const sinceLastPass = (fixture: string, agoMs: number): void => {
        const seconds = Number(byFixture[fixture]!.seconds_since_last_pass);
        expect(seconds, fixture).toBeGreaterThanOrEqual(Math.floor((before - (NOW - agoMs)) / 1000) - 1);
        expect(seconds, fixture).toBeLessThanOrEqual(Math.ceil((after - (NOW - agoMs)) / 1000) + 1);
        expect(epochMs(byFixture[fixture]!.last_pass!), fixture).toBe(NOW - agoMs);
      };
      sinceLastPass('refund-once', 10 * MINUTE);
      sinceLastPass('double-refund', 5 * HOUR);
      sinceLastPass('nightly-export', 3 * HOUR);
      // Never passed: no time, no seconds.
      expect(byFixture['flaky-llm']).toMatchObject({ last_pass: null, seconds_since_last_pass: null });

      expect(Object.fromEntries(health.map((r) => [r.fixture, epochMs(r.last_run)]))).toEqual({
        'refund-once': NOW - 10 * MINUTE,
        'double-refund': NOW - 2 * MINUTE,
        'nightly-export': NOW - 3 * HOUR,
        'flaky-llm': NOW - 30 * MINUTE,
      });
      expect(Object.fromEntries(health.map((r) => [r.fixture, [Number(r.runs_in_interval), Number(r.interval_s)]]))).toEqual({
        'refund-once': [1, 3600],
        'double-refund': [2, 86_400],
        'nightly-export': [0, 3600],
        'flaky-llm': [2, 86_400],
      });
      for (const row of health) expect(row.replay_of, row.fixture).toBe(recordedTraceIds[row.fixture]);
    });

    it('counts them: one passing, two failing, one stale', async () => {
      const { rows: counts } = await rows<Record<string, unknown>>(COUNTS[which]());
      expect(counts.map((r) => ({ passing: Number(r.passing), failing: Number(r.failing), stale: Number(r.stale) }))).toEqual([{ passing: 1, failing: 2, stale: 1 }]);
    });
  });
}

describe('fixture health, the rule at its edges', () => {
  it('a fixture whose latest check failed longer ago than its interval is stale, not failing', async () => {
    await store.insert([checkSpan({ fixture: 'abandoned', verdict: 'fail', agoMs: 2 * HOUR, intervalMs: HOUR })], []);
    for (const which of ['recipe', 'panel'] as const) {
      const { rows: health } = await rows<HealthRow>(PER_FIXTURE[which]());
      expect(health.find((r) => r.fixture === 'abandoned'), which).toMatchObject({ health: 'stale', last_verdict: 'fail', last_pass: null });
      const { rows: counts } = await rows<Record<string, unknown>>(COUNTS[which]());
      expect([counts[0]!.passing, counts[0]!.failing, counts[0]!.stale].map(Number), which).toEqual([1, 2, 2]);
    }
  });

  it('a check within the interval makes a stale fixture fresh again, with its verdict', async () => {
    await store.insert([checkSpan({ fixture: 'nightly-export', verdict: 'fail', agoMs: 5 * MINUTE, intervalMs: HOUR })], []);
    for (const which of ['recipe', 'panel'] as const) {
      const { rows: health } = await rows<HealthRow>(PER_FIXTURE[which]());
      const row = health.find((r) => r.fixture === 'nightly-export')!;
      expect(row, which).toMatchObject({ health: 'failing', last_verdict: 'fail' });
      // It still last passed 3 h ago.
      expect(Number(row.seconds_since_last_pass), which).toBeGreaterThanOrEqual(3 * 3600 - 1);
      expect(Number(row.seconds_since_last_pass), which).toBeLessThan(3 * 3600 + 120);
      const { rows: counts } = await rows<Record<string, unknown>>(COUNTS[which]());
      expect([counts[0]!.passing, counts[0]!.failing, counts[0]!.stale].map(Number), which).toEqual([1, 3, 1]);
    }
  });
});

describe('the fixture-health panels', () => {
  const override = (p: DashboardPanel, field: string, property: string): unknown =>
    p.fieldConfig?.overrides?.find((o) => o.matcher.id === 'byName' && o.matcher.options === field)?.properties.find((pr) => pr.id === property)?.value;

  it('colour the counts: passing green, failing red, stale orange', () => {
    const stat = panel('Fixtures by health');
    expect(stat.type).toBe('stat');
    expect(['passing', 'failing', 'stale'].map((field) => (override(stat, field, 'color') as { fixedColor?: string })?.fixedColor)).toEqual(['green', 'red', 'orange']);
  });

  it('colour each fixture by its health and show the time since its last pass as a duration', () => {
    const table = panel("Each fixture's health");
    expect(table.type).toBe('table');
    const [mapping] = override(table, 'health', 'mappings') as { options: Record<string, { color: string }> }[];
    expect(Object.fromEntries(Object.entries(mapping!.options).map(([value, result]) => [value, result.color]))).toEqual({ passing: 'green', failing: 'red', stale: 'orange' });
    expect(override(table, 'health', 'custom.cellOptions')).toMatchObject({ type: 'color-background' });
    expect(override(table, 'seconds_since_last_pass', 'unit')).toBe('dtdurations');
    expect(override(table, 'seconds_since_last_pass', 'mappings')).toEqual([expect.objectContaining({ type: 'special', options: expect.objectContaining({ match: 'null', result: expect.objectContaining({ text: 'never' }) }) })]);
  });
});
