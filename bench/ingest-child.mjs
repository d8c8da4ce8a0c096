// The measured side of bench/ingest-throughput.mjs, in its own process so the parent can pin it
// (and every thread chDB starts) to one core. Prints one JSON line with what it measured.
//
//   node bench/ingest-child.mjs <logDir> <storeDir> ingest|engine <maxSpans> <maxBytes>
//
// `ingest`: LogIngester.ingest() of the whole log into a fresh ChdbSpanStore.
// `engine`: ClickHouse alone storing the same rows: the log's records are read (and OTLP/JSON ones
// decoded, converted and encoded) before the clock starts, grouped into inserts as the ingester
// groups them, and each insert's exact statements (as ChdbSpanStore.insertEncoded() issues them,
// with their RowBinary files) are captured; only running those statements is timed. Both modes
// check every span arrived and a sample payload reads back byte for byte.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ChdbSpanStore, resolvePayloadRefs, RowBinaryWriter, writePayloadRow, writeSpanRow } from '@tracetape/clickhouse';
import { convertRequest, decodeJsonRequest, LogIngester } from '@tracetape/collector';
import { countSpans, decodeRowsRecord, listSegments, readSegment, RecordType } from '@tracetape/log';

const MODES = ['ingest', 'engine'];

/** The payload rows of the log's first rows record, by hash: what a stored span must read back. */
function samplePayloads(logDir) {
  for (const segment of listSegments(logDir)) {
    for (const record of readSegment(segment.path, 0).records) {
      if (record.type !== RecordType.Rows) continue;
      const { payloads } = decodeRowsRecord(record);
      // RowBinary: TraceId, Hash, Data (length-prefixed), Size (8 bytes), Timestamp (8 bytes); the first row only.
      let at = 0;
      const varint = () => {
        let value = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = payloads[at++];
          value += (byte & 0x7f) * 2 ** shift;
          if (byte < 0x80) return value;
        }
      };
      const traceIdLength = varint();
      at += traceIdLength;
      const hashLength = varint();
      const hash = payloads.toString('utf8', at, (at += hashLength));
      const dataLength = varint();
      return { hash, data: payloads.toString('utf8', at, at + dataLength) };
    }
  }
  return undefined;
}

/** The first span of an OTLP/JSON log with both payload attributes, as the app wrote it. */
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
  return undefined;
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
      current.spans += countSpans(record);
      current.bytes += record.end - record.offset;
    }
  }
  if (current.records.length > 0) groups.push(current);
  return groups;
}

/** A group's records as the blocks insertEncoded() takes, made as the ingester makes them. */
function encodedBlocks(records) {
  const blocks = { spanRows: 0, spans: [], payloadRows: 0, payloads: [] };
  for (const record of records) {
    if (record.type === RecordType.Rows) {
      const rows = decodeRowsRecord(record);
      blocks.spanRows += rows.spanRows;
      blocks.spans.push(rows.spans);
      blocks.payloadRows += rows.payloadRows;
      blocks.payloads.push(rows.payloads);
    } else if (record.type === RecordType.Spans) {
      const converted = convertRequest(decodeJsonRequest(record.payload));
      const spans = new RowBinaryWriter();
      for (const row of converted.rows) writeSpanRow(spans, row);
      const payloads = new RowBinaryWriter();
      for (const payload of converted.payloads) writePayloadRow(payloads, payload);
      blocks.spanRows += converted.rows.length;
      blocks.spans.push(spans.bytes());
      blocks.payloadRows += converted.payloads.length;
      blocks.payloads.push(payloads.bytes());
    }
  }
  return blocks;
}

/** Runs `store.insertEncoded()` with the engine call swapped for a recorder: the statements it would run. */
async function captureStatements(store, blocks, token, keepDir, counter) {
  const statements = [];
  const run = store.run;
  store.run = async (sql) => {
    // Each insert reads a file the store removes right after: keep a copy for the timed run.
    const file = /FROM file\('([^']+)'/.exec(sql)?.[1];
    if (file) {
      const kept = path.join(keepDir, `insert-${counter.next++}.rowbinary`);
      copyFileSync(file, kept);
      sql = sql.replace(file, kept);
    }
    statements.push(sql);
    return '';
  };
  try {
    await store.insertEncoded(blocks, [], token);
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
  const samplePayload = samplePayloads(logDir);
  if (!sample && !samplePayload) throw new Error(`no span with payloads in the log at ${logDir}`);
  const store = new ChdbSpanStore({ dir: storeDir });
  // Loading the engine, creating the schema and reading its layout are not part of the figure.
  await store.init();
  await store.getTraceSpans('0'.repeat(32));
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
      const blocks = encodedBlocks(group.records);
      statementGroups.push(await captureStatements(store, blocks, `group-${statementGroups.length}`, keepDir, counter));
      spans += blocks.spanRows;
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
    const ingester = new LogIngester({ store, logDir, maxSpansPerInsert: maxSpans, maxBytesPerInsert: maxBytes });
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
  if (sample) {
    const rows = await resolvePayloadRefs(await store.getTraceSpans(sample.traceId), store);
    const row = rows.find((r) => r.SpanId === sample.spanId);
    for (const key of ['tracetape.request', 'tracetape.response']) {
      if (row?.SpanAttributes[key] !== sample.attrs[key]) throw new Error(`span ${sample.spanId}: ${key} did not read back identical`);
    }
  } else if ((await store.getPayloads([samplePayload.hash])).get(samplePayload.hash) !== samplePayload.data) {
    throw new Error(`payload ${samplePayload.hash} did not read back identical`);
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
