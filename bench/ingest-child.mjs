// The measured side of bench/ingest-throughput.mjs, in its own process so the parent can pin it
// (and every thread chDB starts) to one core. Prints one JSON line with what it measured.
//
//   node bench/ingest-child.mjs <logDir> <storeDir> ingest|ingest-pipelined|engine <maxSpans> <maxBytes>
//
// `ingest`: LogIngester.ingest() of the whole log into a fresh ChdbSpanStore, with its defaults
// (`ingest-pipelined`: with pipeline: true, the next insert's records converted while the engine
// runs the current one).
// `engine`: ClickHouse alone storing the same rows: the log's records are read, decoded and
// converted before the clock starts, grouped into inserts as the ingester groups them, and each
// insert's exact statements (as ChdbSpanStore.insert() issues them, payload RowBinary files
// included) are captured; only running those statements is timed. Both modes check every span
// arrived and a sample payload reads back byte for byte.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ChdbSpanStore, resolvePayloadRefs } from '@tracetape/clickhouse';
import { convertRequest, decodeJsonRequest, LogIngester } from '@tracetape/collector';
import { listSegments, readSegment, RecordType } from '@tracetape/log';

const MODES = ['ingest', 'ingest-pipelined', 'engine'];

/** The first span of the log with both payload attributes, as the app wrote it. */
function sampleSpan(logDir) {
  for (const segment of listSegments(logDir)) {
    for (const record of readSegment(segment.path, 0).records) {
      if (record.type !== RecordType.Spans) continue;
      const request = JSON.parse(record.payload.toString('utf8'));
      for (const resource of request.resourceSpans) {
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value.stringValue]));
            if (attrs['tracetape.request'] && attrs['tracetape.response']) return { traceId: span.traceId, spanId: span.spanId, attrs };
          }
        }
      }
    }
  }
  throw new Error(`no span with payloads in the log at ${logDir}`);
}

/** The log's records grouped into inserts as LogIngester groups them (spans or bytes bound). */
function groupRecords(logDir, maxSpans, maxBytes) {
  const groups = [];
  let current = { records: [], spans: 0, bytes: 0 };
  for (const segment of listSegments(logDir)) {
    for (const record of readSegment(segment.path, 0, Number.MAX_SAFE_INTEGER).records) {
      if (current.records.length > 0 && (current.spans >= maxSpans || current.bytes >= maxBytes)) {
        groups.push(current);
        current = { records: [], spans: 0, bytes: 0 };
      }
      current.records.push(record);
      if (record.type === RecordType.Spans) current.spans += countSpans(record.payload);
      current.bytes += record.end - record.offset;
    }
  }
  if (current.records.length > 0) groups.push(current);
  return groups;
}

function countSpans(payload) {
  let count = 0;
  for (let at = payload.indexOf('"spanId"'); at !== -1; at = payload.indexOf('"spanId"', at + 8)) count++;
  return count;
}

/** Runs `store.insert()` with the engine call swapped for a recorder: the statements it would run. */
async function captureStatements(store, spans, payloads, keepDir, counter) {
  const statements = [];
  const run = store.run;
  store.run = async (sql) => {
    // The payload insert reads a file the store removes right after: keep a copy for the timed run.
    const file = /FROM file\('([^']+)'/.exec(sql)?.[1];
    if (file) {
      const kept = path.join(keepDir, `payloads-${counter.next++}.rowbinary`);
      copyFileSync(file, kept);
      sql = sql.replace(file, kept);
    }
    statements.push(sql);
    return '';
  };
  try {
    await store.insert(spans, payloads);
  } finally {
    store.run = run;
  }
  return statements;
}

async function count(store, sql) {
  const [row] = JSON.parse(`[${(await store.query(sql, 'JSONEachRow')).trim()}]`);
  return Number(Object.values(row)[0]);
}

async function main() {
  const [logDir, storeDir, mode, maxSpansText, maxBytesText] = process.argv.slice(2);
  const maxSpans = Number(maxSpansText);
  const maxBytes = Number(maxBytesText);
  if (!logDir || !storeDir || !MODES.includes(mode) || !(maxSpans > 0) || !(maxBytes > 0)) {
    throw new Error(`usage: node bench/ingest-child.mjs <logDir> <storeDir> ${MODES.join('|')} <maxSpans> <maxBytes>`);
  }
  const sample = sampleSpan(logDir);
  const store = new ChdbSpanStore({ dir: storeDir });
  // Loading the engine and creating the schema are not part of the figure.
  await store.init();
  let spans = 0;
  let inserts = 0;
  let prepareMs = 0;
  let wallMs;
  let cpu;
  if (mode === 'engine') {
    const prepared = performance.now();
    const keepDir = path.join(path.dirname(storeDir), 'engine-inserts');
    mkdirSync(keepDir, { recursive: true });
    const counter = { next: 0 };
    const statementGroups = [];
    for (const group of groupRecords(logDir, maxSpans, maxBytes)) {
      const rows = [];
      const payloads = [];
      for (const record of group.records) {
        if (record.type !== RecordType.Spans) continue;
        const converted = convertRequest(decodeJsonRequest(record.payload));
        rows.push(...converted.rows);
        payloads.push(...converted.payloads);
      }
      store.prepareRows(rows, payloads);
      statementGroups.push(await captureStatements(store, rows, payloads, keepDir, counter));
      spans += rows.length;
    }
    prepareMs = performance.now() - prepared;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const statements of statementGroups) {
      for (const sql of statements) await store.query(sql, 'TabSeparated');
      inserts++;
    }
    wallMs = performance.now() - started;
    cpu = process.cpuUsage(cpuBefore);
  } else {
    const ingester = new LogIngester({ store, logDir, maxSpansPerInsert: maxSpans, maxBytesPerInsert: maxBytes, ...(mode === 'ingest-pipelined' ? { pipeline: true } : {}) });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const report = await ingester.ingest();
    wallMs = performance.now() - started;
    cpu = process.cpuUsage(cpuBefore);
    if (report.busyPid) throw new Error(`another ingester (pid ${report.busyPid}) holds the log`);
    if (report.skipped.length || report.rejected.count) throw new Error(`ingest skipped ${JSON.stringify(report.skipped)} / rejected ${JSON.stringify(report.rejected)}`);
    if (listSegments(logDir).length > 0) throw new Error(`ingest left ${listSegments(logDir).length} segment(s) in the log`);
    spans = report.spans;
    inserts = report.inserts;
  }

  const stored = await count(store, 'SELECT count() FROM otel_traces');
  const payloadRows = await count(store, 'SELECT count() FROM tracetape_payloads');
  if (stored !== spans) throw new Error(`otel_traces holds ${stored} spans, ${spans} were inserted`);
  if (payloadRows !== 2 * spans) throw new Error(`tracetape_payloads holds ${payloadRows} rows, ${2 * spans} were expected`);
  const rows = await resolvePayloadRefs(await store.getTraceSpans(sample.traceId), store);
  const row = rows.find((r) => r.SpanId === sample.spanId);
  for (const key of ['tracetape.request', 'tracetape.response']) {
    if (row?.SpanAttributes[key] !== sample.attrs[key]) throw new Error(`span ${sample.spanId}: ${key} did not read back identical`);
  }
  await store.close();
  process.stdout.write(
    `${JSON.stringify({ mode, spans, inserts, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, prepareMs, rssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
