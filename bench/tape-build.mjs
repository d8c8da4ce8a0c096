// Fast lookups at scale: how long buildTape takes for one 200-span recorded run when the embedded
// store also holds a million other spans (5,000 runs spread over the last 24 hours) and 200,000
// other runs' payload rows, and how long listing the 20 most recent runs takes. The background is
// generated inside ClickHouse (INSERT ... SELECT FROM numbers()) so loading it takes seconds; the
// measured run goes through the real ClickHouseSpanExporter, payload offload included, like a
// recording would.
//
//   node bench/tape-build.mjs [--quick|--smoke]     prints the figures as JSON
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClickHouseSpanExporter, ChdbSpanStore, resolvePayloadRefs } from '@tracetape/clickhouse';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { buildTape, TAPE_COLUMNS, tapeFromRows } from '../packages/replay/dist/index.js';
import { WORDS } from './conversation-text.mjs';
import { BenchCheckFailed } from './figures.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { recordedRun } from './scale-spans.mjs';
import { percentile } from './stats.mjs';

const SPANS_PER_TRACE = 200;
const TARGET_MS = 200;
// Issue 19 asks a tape build among 1M spans for at most 20 ms; listing keeps the older 200 ms bound.
const TAPE_TARGET_MS = 20;
const INSERT_CHUNK = 100_000;
const DAY_MS = 86_400_000;
const BATCH = 128;

// Other runs' payload rows: a tape's payloads are looked up among them (~3.7 KB of text each).
const PAYLOADS_PER_RUN = 200;
const SIZES = {
  full: { background: 1_000_000, backgroundPayloads: 200_000, runs: 30, warmups: 3 },
  quick: { background: 50_000, backgroundPayloads: 10_000, runs: 30, warmups: 3 },
  smoke: { background: 5_000, backgroundPayloads: 1_000, runs: 5, warmups: 1 },
};

export async function measure(flags = {}) {
  const { background, backgroundPayloads, runs, warmups } = sizeFor(flags, SIZES);
  const full = !flags.quick && !flags.smoke;
  const tmp = mkdtempSync(path.join(flags.tmpDir ?? os.tmpdir(), 'tracetape-bench-tape-'));
  const dir = path.join(tmp, 'store');
  const nowMs = Date.now();
  try {
    // Loading: the background spans through SQL, then the measured run through the exporter.
    const loading = new ChdbSpanStore({ dir });
    const exporter = new ClickHouseSpanExporter({ store: loading });
    const loadStarted = performance.now();
    let spans;
    try {
      await loading.init();
      await loadBackground(loading, background, nowMs);
      await loadBackgroundPayloads(loading, backgroundPayloads, background, nowMs);
      // Mid-window rather than newest, so the lookup must find it among runs on both sides.
      spans = await recordedRun({ calls: SPANS_PER_TRACE - 1, seed: 7, startMs: nowMs - DAY_MS / 2, requestBytes: 3000, responseBytes: 2500 });
      for (let i = 0; i < spans.length; i += BATCH) await exportBatch(exporter, spans.slice(i, i + BATCH));
      // Merged as the engine's background merges leave a day's partition in time: measured straight
      // after the load, the run's payloads sat in a part of their own, which a stored run of
      // yesterday's does not (with rows sorted by hash alone, the merged read took 0.65 s).
      await loading.query('OPTIMIZE TABLE tracetape_payloads FINAL', 'TabSeparated');
    } finally {
      // Closes the store: the timings below start from a freshly opened one.
      await exporter.shutdown();
    }
    const loadMs = performance.now() - loadStarted;
    const traceId = spans[0].spanContext().traceId;
    const calls = spans.filter((span) => span.attributes[ATTR_TRACETAPE_INPUT_HASH] !== undefined);

    const store = new ChdbSpanStore({ dir });
    try {
      const settling = await settleMerges(store);
      const [stored] = (await store.query(`SELECT count() AS spans, uniqExact(TraceId) AS traces FROM otel_traces`, 'JSONEachRow')).split('\n').map((l) => l && JSON.parse(l));
      const expectedSpans = background + spans.length;
      if (Number(stored.spans) !== expectedSpans) throw new BenchCheckFailed([`the store holds ${stored.spans} spans, expected ${expectedSpans}`]);
      const payloadRows = Number((await store.query(`SELECT count() FROM tracetape_payloads FINAL`, 'TabSeparated')).trim());
      const payloadBytes = Number((await store.query(`SELECT sum(data_uncompressed_bytes) FROM system.parts WHERE table = 'tracetape_payloads' AND active`, 'TabSeparated')).trim());
      if (payloadRows < backgroundPayloads) throw new BenchCheckFailed([`the payload table holds ${payloadRows} rows, expected over ${backgroundPayloads}`]);

      const checkTape = (tape) => {
        if (tape.entries.length !== calls.length) throw new BenchCheckFailed([`the tape of ${traceId} has ${tape.entries.length} steps, expected ${calls.length}`]);
        const last = tape.entries.at(-1);
        // A payload that did not come back from the payload table would not parse to the original.
        if (JSON.stringify(last.response) !== calls.at(-1).attributes[ATTR_TRACETAPE_RESPONSE]) throw new BenchCheckFailed([`step ${last.step} of ${traceId} does not hold the exported response`]);
      };
      const checkList = (list) => {
        if (list.length !== 20) throw new BenchCheckFailed([`listTraces({ limit: 20 }) returned ${list.length} runs`]);
      };

      const cold = await timed(() => buildTape(store, traceId));
      checkTape(cold.result);
      const coldList = await timed(() => store.listTraces({ limit: 20 }));
      checkList(coldList.result);
      const tapeMs = await repeat(() => buildTape(store, traceId), checkTape, warmups, runs);
      const listMs = await repeat(() => store.listTraces({ limit: 20 }), checkList, warmups, runs);
      const split = await phases(store, traceId, spans.length, runs);

      const scale = `${background.toLocaleString('en-US')} background spans in ${(Number(stored.traces) - 1).toLocaleString('en-US')} runs over 24 h and ${payloadRows.toLocaleString('en-US')} payload rows (${Math.round(payloadBytes / 2 ** 20)} MiB of text; ${backgroundPayloads.toLocaleString('en-US')} of other runs), embedded chDB, loaded (with the measured run) in ${(loadMs / 1000).toFixed(1)} s; timed once the merges the load left (up to ${settling.most} at a time) had run, ${(settling.ms / 1000).toFixed(1)} s after opening`;
      return [
        {
          name: `tape build: ${SPANS_PER_TRACE}-span run, ${shortCount(background)} other spans, ${shortCount(backgroundPayloads)} other payloads`,
          value: round(percentile(tapeMs, 50)),
          unit: 'ms',
          target: `<= ${TAPE_TARGET_MS} ms with 1M spans`,
          ...(full ? { met: percentile(tapeMs, 50) <= TAPE_TARGET_MS } : {}),
          detail: `median of ${runs} after ${warmups} warm-up(s), store kept open; p95 ${round(percentile(tapeMs, 95))} ms; first call on a fresh store ${round(cold.ms)} ms; medians of the parts: span rows ${round(split.rowsMs)} ms, payloads ${round(split.payloadsMs)} ms, parsing ${round(split.parseMs)} ms, run state ${round(split.runMs)} ms; ${calls.length} steps, payloads resolved; ${scale}`,
        },
        {
          name: `list recent runs (limit 20), ${shortCount(background)} other spans`,
          value: round(percentile(listMs, 50)),
          unit: 'ms',
          // The issue asks only that listing "stays fast"; the tape-build bound is borrowed.
          target: `< ${TARGET_MS} ms with 1M spans`,
          ...(full ? { met: percentile(listMs, 50) < TARGET_MS } : {}),
          detail: `store.listTraces, median of ${runs} after ${warmups} warm-up(s); p95 ${round(percentile(listMs, 95))} ms; first call ${round(coldList.ms)} ms; ${scale}`,
        },
      ];
    } finally {
      await store.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Waits (up to two minutes) until the engine runs no merge: loading a million rows in seconds
 * leaves merges for the store to run once it is open again, and timed beside them (on a shared
 * core) the lookups measured those merges. Returns how long it waited and the most merges seen.
 */
async function settleMerges(store) {
  const started = performance.now();
  const running = async () => Number((await store.query('SELECT count() FROM system.merges', 'TabSeparated')).trim());
  // Opening the tables schedules their merges; they show up in system.merges a moment later.
  await store.query('SELECT count() FROM otel_traces', 'TabSeparated');
  let most = 0;
  for (let quiet = 0; quiet < 3 && performance.now() - started < 120_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await running();
    most = Math.max(most, now);
    quiet = now === 0 ? quiet + 1 : 0;
  }
  return { ms: performance.now() - started, most };
}

/**
 * `count` payload rows of other runs, 200 to a run (every fifth background run), each a request
 * envelope around ~3.7 KB of words drawn with the conversation benchmarks' skew, so they compress
 * like text (about 3 to 1) rather than to nothing. Timestamps follow their run's. A payload table
 * made before payload rows named their trace (an `--against` build) gets them without TraceId.
 */
async function loadBackgroundPayloads(store, count, spans, nowMs) {
  if (count === 0) return;
  const traces = Math.ceil(spans / SPANS_PER_TRACE);
  const spacingMs = Math.floor(DAY_MS / traces);
  const named = Number((await store.query(`SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'tracetape_payloads' AND name = 'TraceId'`, 'TabSeparated')).trim()) > 0;
  const words = `[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  for (let first = 0; first < count; first += INSERT_CHUNK / 2) {
    const n = Math.min(INSERT_CHUNK / 2, count - first);
    await store.query(
      `INSERT INTO tracetape_payloads (${named ? 'TraceId, ' : ''}Hash, Data, Size, Timestamp)
       SELECT ${named ? 'TraceId, ' : ''}Hash, Data, length(Data) AS Size, Timestamp FROM (
         SELECT
           intDiv(number, ${PAYLOADS_PER_RUN}) * 5 AS t,
           number % ${PAYLOADS_PER_RUN} AS s,
           lower(hex(MD5(concat('bg-trace-', toString(t))))) AS TraceId,
           lower(hex(SHA256(concat('bg-payload-', toString(number))))) AS Hash,
           concat('{"normalized":{"method":"POST","url":"https://api.openai.example/v1/chat/completions","body":{"encoding":"utf8","data":"',
             arrayStringConcat(arrayMap(i -> ${words}[1 + toUInt32(${WORDS.length} * pow(cityHash64(number, i) / 18446744073709551616, 2.2))], range(600)), ' '),
             '"}}}') AS Data,
           fromUnixTimestamp64Nano(toInt64(${nowMs} - 120000 - (${traces} - 1 - t) * ${spacingMs} + s * 300) * 1000000) AS Timestamp
         FROM numbers(${first}, ${n}))`,
      'TabSeparated',
    );
  }
}

/**
 * `count` spans in runs of 200: a root per run, then calls 300 ms apart (a minute per run, so
 * runs overlap as concurrent ones do), each call with small inline tracetape request/response
 * attributes like a short GET's. Runs start evenly spread over the 24 hours before `nowMs`.
 */
async function loadBackground(store, count, nowMs) {
  const traces = Math.ceil(count / SPANS_PER_TRACE);
  const spacingMs = Math.floor(DAY_MS / traces);
  for (let first = 0; first < count; first += INSERT_CHUNK) {
    const n = Math.min(INSERT_CHUNK, count - first);
    await store.query(
      `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
         ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
       SELECT
         fromUnixTimestamp64Nano(toInt64(${nowMs} - 120000 - (${traces} - 1 - t) * ${spacingMs} + s * 300) * 1000000 + toInt64(number % 1000000)) AS Timestamp,
         lower(hex(MD5(concat('bg-trace-', toString(t))))) AS TraceId,
         lower(hex(substring(MD5(concat('bg-span-', toString(number))), 1, 8))) AS SpanId,
         if(s = 0, '', lower(hex(substring(MD5(concat('bg-span-', toString(t * ${SPANS_PER_TRACE}))), 1, 8)))) AS ParentSpanId,
         '' AS TraceState,
         if(s = 0, 'agent.mjs', ['POST', 'GET', 'chat gpt-4o', 'tool.lookup_order', 'db.query', 'GET /api/orders'][1 + number % 6]) AS SpanName,
         if(s = 0, 'Internal', 'Client') AS SpanKind,
         ['support-agent', 'billing-agent', 'triage-bot', 'checkout'][1 + t % 4] AS ServiceName,
         map('service.name', ServiceName, 'host.name', concat('host-', toString(t % 16)), 'telemetry.sdk.language', 'nodejs') AS ResourceAttributes,
         '@tracetape/instrumentation' AS ScopeName,
         '0.1.0' AS ScopeVersion,
         if(s = 0,
           map('tracetape.run', 'process'),
           map('http.request.method', 'GET',
               'url.full', concat('https://api.example.com/v1/orders/', toString(number % 10007)),
               'http.response.status_code', '200',
               'tracetape.kind', 'http',
               'tracetape.format', '1',
               'tracetape.input.hash', lower(hex(SHA256(toString(number)))),
               'tracetape.request', concat('{"normalized":{"method":"GET","url":"https://api.example.com/v1/orders/', toString(number % 10007),
                 '","headers":{}},"headers":[["accept","application/json"],["user-agent","node"]]}'),
               'tracetape.response', concat('{"status":200,"statusText":"OK","headers":[["content-type","text/plain"]],"body":{"encoding":"utf8","data":"order ',
                 toString(number % 10007), ' state ', ['open', 'shipped', 'refunded'][1 + number % 3], ' total ', toString(number % 500), '.', toString(number % 100),
                 '","size":40},"complete":true}'))) AS SpanAttributes,
         1000000 + cityHash64(number) % 50000000 AS Duration,
         if(number % 97 = 0, 'Error', 'Unset') AS StatusCode,
         '' AS StatusMessage
       FROM (SELECT number, intDiv(number, ${SPANS_PER_TRACE}) AS t, number % ${SPANS_PER_TRACE} AS s FROM numbers(${first}, ${n}))`,
      'TabSeparated',
    );
  }
}

/**
 * Medians of buildTape's four parts, timed apart: reading the span rows (the columns a tape needs),
 * fetching payloads, building the tape, reading the run's state.
 */
async function phases(store, traceId, expectedRows, runs) {
  const rowsMs = [];
  const payloadsMs = [];
  const parseMs = [];
  const runMs = [];
  for (let i = 0; i < runs; i++) {
    const rows = await timed(() => store.getTraceSpans(traceId, { columns: TAPE_COLUMNS }));
    if (rows.result.length !== expectedRows) throw new BenchCheckFailed([`getTraceSpans returned ${rows.result.length} rows, expected ${expectedRows}`]);
    const resolved = await timed(() => resolvePayloadRefs(rows.result, store));
    const parsed = await timed(async () => tapeFromRows(traceId, resolved.result));
    const run = await timed(() => store.runRows({ traceIds: [traceId] }));
    rowsMs.push(rows.ms);
    payloadsMs.push(resolved.ms);
    parseMs.push(parsed.ms);
    runMs.push(run.ms);
  }
  const mid = (samples) => percentile(samples.sort((a, b) => a - b), 50);
  return { rowsMs: mid(rowsMs), payloadsMs: mid(payloadsMs), parseMs: mid(parseMs), runMs: mid(runMs) };
}

function exportBatch(exporter, batch) {
  return new Promise((resolve, reject) => {
    exporter.export(batch, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('the exporter dropped a batch'))));
  });
}

async function timed(fn) {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

/** Sorted durations (ms) of `runs` calls after `warmups` unmeasured ones; every result is checked. */
async function repeat(fn, check, warmups, runs) {
  for (let i = 0; i < warmups; i++) check(await fn());
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const { ms, result } = await timed(fn);
    check(result);
    samples.push(ms);
  }
  return samples.sort((a, b) => a - b);
}

function shortCount(n) {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

function round(ms) {
  return Math.round(ms * 10) / 10;
}

runIfMain(import.meta.url, measure);
