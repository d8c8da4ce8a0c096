// The measured side of bench/exporter-throughput.mjs, run in its own process so the parent can pin
// it (and every thread chDB starts) to one core. Prints one JSON line with what it measured.
//
//   node bench/scale-exporter-child.mjs <spans> <batch> [tmpDir] [engine[:part[:format[:codec]]]]
//
// With `engine`, the spans are converted to the rows the exporter writes and to INSERT statements
// before the clock starts, and only ClickHouse's own work is timed: the ceiling any exporter over
// this schema could reach on the same core. bench/exporter-ceiling.mjs splits that ceiling with
// `engine:spans` and `engine:payloads` (one table's inserts only) and `engine:parse` (both
// tables' inserts into Null-engine copies, which parse the rows and store nothing), and compares
// insert formats: `rowbinary` (the default, as the embedded store inserts: both tables' rows as
// RowBinary read through file()) against `json` (JSONEachRow for both) and `native` (ClickHouse's
// columnar Native format, the files made by the engine itself from the same rows).
// A `codec` (LZ4, NONE) replaces the payload Data column's ZSTD(3) before the clock starts: how much
// of the engine's time compressing payloads takes (the storage target needs ZSTD; see BENCHMARKS.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ClickHouseSpanExporter,
  ChdbSpanStore,
  encodePayloadRow,
  encodeSpanRow,
  offloadPayloads,
  PAYLOAD_ROW_BINARY_COLUMNS,
  PAYLOAD_ROW_BINARY_STRUCTURE,
  resolvePayloadRefs,
  SPAN_ROW_BINARY_COLUMNS,
  SPAN_ROW_BINARY_STRUCTURE,
  toSpanRow,
} from '@tracetape/clickhouse';
import { ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { recordedCalls } from './scale-spans.mjs';

const REQUEST_BYTES = 2400;
const RESPONSE_BYTES = 1696;
const SPANS_PER_TRACE = 100;
// Large inserts, as ClickHouse prefers: the engine's best case.
const ENGINE_INSERT_SPANS = 4096;
const ENGINE_PARTS = ['all', 'spans', 'payloads', 'parse'];
const ENGINE_FORMATS = ['rowbinary', 'json', 'native'];
const DATA_CODECS = ['LZ4', 'NONE'];

function exportBatch(exporter, batch) {
  return new Promise((resolve, reject) => {
    exporter.export(batch, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('the exporter dropped a batch'))));
  });
}

async function main() {
  const count = Number(process.argv[2]);
  const batchSize = Number(process.argv[3]);
  const [mode, part = 'all', format = 'rowbinary', dataCodec] = (process.argv[5] ?? '').split(':');
  const engineOnly = mode === 'engine';
  if (
    !Number.isInteger(count) || !Number.isInteger(batchSize) || count <= 0 || batchSize <= 0 ||
    !ENGINE_PARTS.includes(part) || !ENGINE_FORMATS.includes(format) || (dataCodec !== undefined && !DATA_CODECS.includes(dataCodec))
  ) {
    throw new Error(
      `usage: node bench/scale-exporter-child.mjs <spans> <batch> [tmpDir] [engine[:${ENGINE_PARTS.join('|')}[:${ENGINE_FORMATS.join('|')}[:${DATA_CODECS.join('|')}]]]]`,
    );
  }
  const tmp = mkdtempSync(path.join(process.argv[4] ?? os.tmpdir(), 'tracetape-bench-exporter-'));
  const store = new ChdbSpanStore({ dir: path.join(tmp, 'store') });
  const exporter = new ClickHouseSpanExporter({ store });
  try {
    // Spans are made before the clock starts: the figure is the exporter's, not the SDK's.
    const generateStarted = performance.now();
    const spans = await recordedCalls({ count: batchSize + count, perTrace: SPANS_PER_TRACE, seed: 11, startMs: Date.now() - 3_600_000, requestBytes: REQUEST_BYTES, responseBytes: RESPONSE_BYTES });
    const generateMs = performance.now() - generateStarted;
    const payloadBytes = spans
      .slice(batchSize)
      .reduce((sum, span) => sum + Buffer.byteLength(span.attributes[ATTR_TRACETAPE_REQUEST]) + Buffer.byteLength(span.attributes[ATTR_TRACETAPE_RESPONSE]), 0);

    // The warm-up batch pays for creating the schema and loading the engine.
    await exportBatch(exporter, spans.slice(0, batchSize));

    let statements;
    if (engineOnly) {
      statements = [];
      const [spanTable, payloadTable] = part === 'parse' ? ['otel_traces_parse', 'tracetape_payloads_parse'] : ['otel_traces', 'tracetape_payloads'];
      if (part === 'parse') {
        // Same columns and insert path; the Null engine drops the rows, and no view fires.
        for (const [copy, of] of [[spanTable, 'otel_traces'], [payloadTable, 'tracetape_payloads']]) await store.query(`CREATE TABLE ${copy} AS ${of} ENGINE = Null`, 'TabSeparated');
      }
      for (let i = batchSize; i < spans.length; i += ENGINE_INSERT_SPANS) {
        const rows = spans.slice(i, i + ENGINE_INSERT_SPANS).map(toSpanRow);
        const payloads = rows.flatMap((row) => offloadPayloads(row));
        const lines = (list) => list.map((r) => JSON.stringify(r)).join('\n');
        if (part !== 'spans' && format === 'json') statements.push(`INSERT INTO ${payloadTable} FORMAT JSONEachRow\n${lines(payloads)}`);
        if (part !== 'spans' && format === 'rowbinary') {
          const file = path.join(tmp, `payloads-${i}.rowbinary`);
          writeFileSync(file, Buffer.concat(payloads.map(encodePayloadRow)));
          statements.push(
            `INSERT INTO ${payloadTable} (${PAYLOAD_ROW_BINARY_COLUMNS.join(', ')}) SELECT * FROM file('${file}', 'RowBinary', '${PAYLOAD_ROW_BINARY_STRUCTURE}')`,
          );
        }
        if (format === 'native') {
          // Native files made by the engine itself from the same rows, through a Memory table, before the clock.
          const tables = [
            { name: 'payloads', table: payloadTable, like: 'tracetape_payloads', rows: payloads, wanted: part !== 'spans' },
            { name: 'spans', table: spanTable, like: 'otel_traces', rows, wanted: part !== 'payloads' },
          ];
          for (const { name, table, like, rows: list, wanted } of tables) {
            if (!wanted) continue;
            const stage = `${like}_stage`;
            await store.query(`CREATE TABLE IF NOT EXISTS ${stage} AS ${like} ENGINE = Memory`, 'TabSeparated');
            await store.query(`TRUNCATE TABLE ${stage}`, 'TabSeparated');
            await store.query(`INSERT INTO ${stage} FORMAT JSONEachRow\n${lines(list)}`, 'TabSeparated');
            const file = path.join(tmp, `${name}-${i}.native`);
            await store.query(`INSERT INTO FUNCTION file('${file}', 'Native') SELECT * FROM ${stage}`, 'TabSeparated');
            statements.push(`INSERT INTO ${table} SELECT * FROM file('${file}', 'Native')`);
          }
          continue;
        }
        if (part !== 'payloads' && format === 'json') statements.push(`INSERT INTO ${spanTable} FORMAT JSONEachRow\n${lines(rows)}`);
        if (part !== 'payloads' && format === 'rowbinary') {
          const file = path.join(tmp, `spans-${i}.rowbinary`);
          writeFileSync(file, Buffer.concat(rows.map(encodeSpanRow)));
          const names = SPAN_ROW_BINARY_COLUMNS.map((name) => `\`${name}\``).join(', ');
          statements.push(`INSERT INTO ${spanTable} (${names}) SELECT ${names} FROM file('${file}', 'RowBinary', '${SPAN_ROW_BINARY_STRUCTURE}')`);
        }
      }
    }
    if (dataCodec) await store.query(`ALTER TABLE tracetape_payloads MODIFY COLUMN Data String CODEC(${dataCodec})`, 'TabSeparated');
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    // As the register hook's processor hands batches over: each as soon as it is full, without
    // waiting for the previous one to be stored (the exporter merges those queued behind a running
    // insert), yielding to the event loop between batches as an app producing spans would.
    const exports = [];
    if (engineOnly) for (const sql of statements) await store.query(sql, 'TabSeparated');
    for (let i = batchSize; !engineOnly && i < spans.length; i += batchSize) {
      exports.push(exportBatch(exporter, spans.slice(i, i + batchSize)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(exports);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);

    const stats = exporter.stats();
    const expected = engineOnly ? batchSize : batchSize + count;
    if (stats.exported !== expected) throw new Error(`the exporter stored ${stats.exported} of ${expected} spans`);
    if (stats.dropped > 0) throw new Error(`the exporter dropped ${stats.dropped} spans`);
    const [{ stored }] = JSON.parse(`[${(await store.query('SELECT count() AS stored FROM otel_traces', 'JSONEachRow')).trim()}]`);
    const [{ payloadRows }] = JSON.parse(`[${(await store.query('SELECT count() AS payloadRows FROM tracetape_payloads', 'JSONEachRow')).trim()}]`);
    // The warm-up batch is always stored; the measured spans only into the tables this run wrote.
    // Each span carries two payloads over the offload threshold.
    const measured = (table) => (!engineOnly || part === 'all' || part === table ? count : 0);
    const spansStored = batchSize + measured('spans');
    const payloadsStored = 2 * (batchSize + measured('payloads'));
    if (Number(stored) !== spansStored) throw new Error(`otel_traces holds ${stored} spans, ${spansStored} were expected`);
    if (Number(payloadRows) !== payloadsStored) throw new Error(`tracetape_payloads holds ${payloadRows} rows, ${payloadsStored} were expected`);

    // A span from the middle of the measured run must read back byte for byte.
    const sample = engineOnly && part !== 'all' ? spans[0] : spans[batchSize + Math.floor(count / 2)];
    const rows = await resolvePayloadRefs(await store.getTraceSpans(sample.spanContext().traceId), store);
    const row = rows.find((r) => r.SpanId === sample.spanContext().spanId);
    for (const key of [ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE]) {
      if (row?.SpanAttributes[key] !== sample.attributes[key]) throw new Error(`span ${sample.spanContext().spanId}: ${key} did not read back identical`);
    }
    await exporter.shutdown();
    process.stdout.write(
      `${JSON.stringify({ spans: count, batch: batchSize, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, payloadBytes, generateMs, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`,
    );
  } finally {
    await exporter.shutdown().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
