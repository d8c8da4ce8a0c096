// Where the storage benchmark's bytes go, and what each lever does to them (issue 19). The 50-turn
// conversation of bench/storage-ratio.mjs is recorded once; its recording log is then ingested
// into a fresh embedded store per variant (table settings, column codecs and levels, chunk sizes,
// chunks cut at LLM message boundaries), so every variant stores the very same run, side by side.
// A variant that re-cuts the payloads is read back and compared with the recorded text first.
//
//   node bench/storage-variants.mjs [--only name,name]     prints one line per variant
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogIngester } from '@tracetape/collector';
import { logDirOf } from '@tracetape/log';
import { ChdbSpanStore, MANIFEST_HEADER, offloadPayloads, resolvePayloadRefs, schemaStatements, splitIntoChunks } from '@tracetape/clickhouse';
import { startChatServer } from './conversation-server.mjs';
import { runToEnd, tail } from './scale-child.mjs';
import { cleanEnv, tracetapeRegister } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SEED = 20_261_122;
const TURNS = 50;
const KIB = 1024;

const PAYLOAD_DATA = ['Data String CODEC(ZSTD(3))'];
const data = (codec) => [[PAYLOAD_DATA[0], `Data String CODEC(${codec})`]];
const chunks = (min, avg, max) => ({ cut: (text) => splitIntoChunks(text, { min, avg, max }), wholeUpTo: 2 * max });

/** Each variant changes the store as the current schema creates it (an embedded store). */
export const VARIANTS = [
  { name: 'current', note: 'this version: compact parts, no statistics, inline String sizes, payload Data ZSTD(3), chunks 1/4/16 K' },
  {
    name: 'before',
    note: 'the tables as of 6181028: per-part statistics, String sizes as a separate stream, Delta on the payload Timestamp',
    settings: "auto_statistics_types = 'basic, uniq_v2', string_serialization_version = 'with_size_stream'",
    ddl: [['Timestamp DateTime64(9) CODEC(ZSTD(1))\n) ENGINE = ReplacingMergeTree', 'Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))\n) ENGINE = ReplacingMergeTree']],
  },
  { name: 'statistics', note: 'current + per-part statistics back', settings: "auto_statistics_types = 'basic, uniq_v2'" },
  { name: 'size-streams', note: 'current + String sizes as a separate stream', settings: "string_serialization_version = 'with_size_stream'" },
  { name: 'wide', note: 'current + wide parts (min_bytes_for_wide_part = 0)', settings: 'min_bytes_for_wide_part = 0' },
  { name: 'granularity-1024', note: 'current + index_granularity = 1024', settings: 'index_granularity = 1024' },
  { name: 'data-zstd1', note: 'payload Data ZSTD(1)', ddl: data('ZSTD(1)') },
  { name: 'data-zstd6', note: 'payload Data ZSTD(6)', ddl: data('ZSTD(6)') },
  { name: 'data-zstd9', note: 'payload Data ZSTD(9)', ddl: data('ZSTD(9)') },
  { name: 'data-zstd12', note: 'payload Data ZSTD(12)', ddl: data('ZSTD(12)') },
  { name: 'data-zstd19', note: 'payload Data ZSTD(19)', ddl: data('ZSTD(19)') },
  { name: 'data-zstd22', note: 'payload Data ZSTD(22)', ddl: data('ZSTD(22)') },
  { name: 'hash-zstd9', note: 'payload Hash ZSTD(9)', ddl: [['Hash String CODEC(ZSTD(1)),\n  Data', 'Hash String CODEC(ZSTD(9)),\n  Data']] },
  {
    name: 'span-attrs-zstd9',
    note: 'span SpanAttributes ZSTD(9) (drifts from the Collector DDL)',
    ddl: [['SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))', 'SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(9))']],
  },
  { name: 'chunks-256-1k-4k', note: 'chunks min 256 / avg 1 K / max 4 K', payloads: chunks(256, 1024, 4096) },
  { name: 'chunks-512-2k-8k', note: 'chunks min 512 / avg 2 K / max 8 K', payloads: chunks(512, 2048, 8192) },
  { name: 'chunks-2k-8k-32k', note: 'chunks min 2 K / avg 8 K / max 32 K', payloads: chunks(2048, 8192, 32768) },
  { name: 'chunks-4k-16k-64k', note: 'chunks min 4 K / avg 16 K / max 64 K', payloads: chunks(4096, 16384, 65536) },
  {
    name: 'chunks-2k-8k-32k-8m-blocks',
    note: 'chunks 2/8/32 K, wide parts, 8 MiB compression blocks',
    payloads: chunks(2048, 8192, 32768),
    settings: 'min_bytes_for_wide_part = 0, min_compress_block_size = 8388608, max_compress_block_size = 8388608',
  },
  {
    name: 'whole-8m-blocks',
    note: 'no chunks (every payload whole), wide parts, 8 MiB compression blocks',
    payloads: { cut: (text) => [text], wholeUpTo: Infinity },
    settings: 'min_bytes_for_wide_part = 0, min_compress_block_size = 8388608, max_compress_block_size = 8388608',
  },
  { name: 'messages', note: 'a chunk per LLM message (cut before every array element), over 16 K cut by content', payloads: { cut: messageChunks(0), wholeUpTo: 2048 } },
  { name: 'messages-1k', note: 'LLM messages, those under 1 K joined with the next', payloads: { cut: messageChunks(1024), wholeUpTo: 2048 } },
];

/**
 * Message-level chunks: a request's body sits JSON-escaped in the payload text, and each message
 * of `messages` (like every array element) starts after `},{\"`. Cutting there makes every message
 * its own chunk, stored once; the payload is a manifest of message chunks.
 */
function messageChunks(min) {
  const sizes = { min: 1024, avg: 4096, max: 16384 };
  return (text) => {
    const cuts = [];
    const boundary = /\},\{\\"/g;
    for (let m; (m = boundary.exec(text)); ) cuts.push(m.index + 2);
    cuts.push(text.length);
    const out = [];
    let start = 0;
    for (const cut of cuts) {
      if (cut - start < min && cut !== text.length) continue;
      const segment = text.slice(start, cut);
      out.push(...(segment.length > sizes.max ? splitIntoChunks(segment, sizes) : [segment]));
      start = cut;
    }
    return out;
  };
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Payload rows as offloadPayloads writes them, with another way of cutting. */
function cutPayloads(row, { cut, wholeUpTo }) {
  const rows = [];
  for (const key of ['tracetape.request', 'tracetape.response', 'tracetape.nondeterminism']) {
    const text = row.SpanAttributes[key];
    if (text === undefined || Buffer.byteLength(text) <= 1024) continue;
    const hash = sha256(text);
    const pieces = text.length > wholeUpTo ? cut(text) : [text];
    if (pieces.length === 1) rows.push({ Hash: hash, Data: text, Size: Buffer.byteLength(text), Timestamp: row.Timestamp });
    else {
      const keys = pieces.map((piece) => sha256(piece).slice(0, 32));
      pieces.forEach((piece, i) => rows.push({ Hash: keys[i], Data: piece, Size: Buffer.byteLength(piece), Timestamp: row.Timestamp }));
      rows.push({ Hash: hash, Data: [MANIFEST_HEADER, ...keys].join('\n'), Size: Buffer.byteLength(text), Timestamp: row.Timestamp });
    }
    row.SpanAttributes[key] = 'tracetape-payload:sha256:' + hash;
  }
  return rows;
}

async function record(storeDir, tmp) {
  const server = await startChatServer({ seed: SEED });
  try {
    const env = { OPENAI_BASE_URL: server.url, TURNS: String(TURNS), SEED: String(SEED), OTEL_SERVICE_NAME: 'bench-conversation' };
    const run = await runToEnd(process.execPath, ['--import', pathToFileURL(tracetapeRegister).href, path.join(here, 'conversation-agent.mjs')], {
      env: cleanEnv({ ...env, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: storeDir }),
      cwd: tmp,
    });
    if (run.code !== 0) throw new Error(`the recorded agent failed:\n${tail(run.stderr)}`);
    return server.counts.requestBytes + server.counts.responseBytes;
  } finally {
    await server.close();
  }
}

async function rowsOf(store, sql) {
  return (await store.query(sql, 'JSONEachRow'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function measureVariant(variant, recordedDir, tmp) {
  const dir = path.join(tmp, variant.name);
  cpSync(logDirOf(recordedDir), logDirOf(dir), { recursive: true });
  let store = new ChdbSpanStore({ dir });
  try {
    await store.init();
    for (const statement of schemaStatements({ embedded: true })) {
      let changed = statement;
      for (const [from, to] of variant.ddl ?? []) changed = changed.split(from).join(to);
      if (variant.settings && /ENGINE = \w*MergeTree/.test(changed)) changed = changed.replace(/SETTINGS (.*)$/, `SETTINGS $1, ${variant.settings}`);
      if (changed === statement) continue;
      await store.query(`DROP TABLE ${/CREATE TABLE IF NOT EXISTS (\S+)/.exec(changed)[1]}`, 'TabSeparated');
      await store.query(changed, 'TabSeparated');
    }
    await new LogIngester({ store, logDir: logDirOf(dir) }).ingest();
    if (variant.payloads) {
      const spans = await rowsOf(store, 'SELECT SpanId, toString(Timestamp) AS Timestamp, SpanAttributes FROM otel_traces ORDER BY Timestamp');
      const recorded = structuredClone(await resolvePayloadRefs(structuredClone(spans), store));
      const unique = new Map();
      for (const row of structuredClone(recorded)) for (const payload of cutPayloads(row, variant.payloads)) unique.set(payload.Hash, payload);
      await store.query('TRUNCATE TABLE tracetape_payloads', 'TabSeparated');
      // A fresh store: the one that ingested remembers which payload rows it already wrote.
      await store.close();
      store = new ChdbSpanStore({ dir });
      await store.insert([], [...unique.values()]);
      const readBack = await resolvePayloadRefs(structuredClone(spans), store);
      if (JSON.stringify(readBack) !== JSON.stringify(recorded)) throw new Error(`variant ${variant.name}: the payloads read back differ from the recording`);
    }
    for (const { name } of await rowsOf(store, `SELECT name FROM system.tables WHERE database = 'default' AND engine LIKE '%MergeTree%'`)) {
      await store.query(`OPTIMIZE TABLE default.\`${name}\` FINAL`, 'TabSeparated');
    }
    const parts = await rowsOf(
      store,
      `SELECT table, sum(bytes_on_disk) AS disk, sum(data_compressed_bytes) AS compressed, sum(rows) AS rows
       FROM system.parts WHERE database = 'default' AND active GROUP BY table`,
    );
    const of = (table, key) => Number(parts.find((p) => p.table === table)?.[key] ?? 0);
    return {
      bytes: parts.reduce((total, p) => total + Number(p.disk), 0),
      spans: of('otel_traces', 'disk'),
      payloads: of('tracetape_payloads', 'disk'),
      payloadData: of('tracetape_payloads', 'compressed'),
      payloadRows: of('tracetape_payloads', 'rows'),
      columnData: parts.reduce((total, p) => total + Number(p.compressed), 0),
    };
  } finally {
    await store.close();
  }
}

export async function measureVariants({ only } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tracetape-bench-storage-variants-'));
  try {
    const recordedDir = path.join(tmp, 'recorded');
    const raw = await record(recordedDir, tmp);
    const results = [];
    for (const variant of VARIANTS.filter((v) => !only || only.includes(v.name))) {
      results.push({ ...variant, ...(await measureVariant(variant, recordedDir, tmp)) });
    }
    return { raw, results };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--only');
  const { raw, results } = await measureVariants({ only: at > 0 ? process.argv[at + 1].split(',') : undefined });
  const kib = (bytes) => (bytes / KIB).toFixed(1);
  console.log(`raw ${kib(raw)} KiB; KiB on disk (bytes_on_disk of active parts after OPTIMIZE FINAL)`);
  console.log('| variant | ratio | on disk | spans | payloads (column data, rows) | all column data | what |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${(raw / r.bytes).toFixed(1)}x | ${kib(r.bytes)} | ${kib(r.spans)} | ${kib(r.payloads)} (${kib(r.payloadData)}, ${r.payloadRows}) | ${kib(r.columnData)} | ${r.note} |`,
    );
  }
}
