// What a stronger codec on the payload table's Data column costs the writer (issue 19): 16,384
// unique ~4 KB payload rows (text-like, from bench/conversation-text.mjs) inserted in batches of
// 512 into a fresh embedded store per ZSTD level, then merged with OPTIMIZE FINAL. Levels are
// interleaved across rounds; medians. Pin it (`taskset -c 0`): chDB compresses on its own threads.
//
//   node bench/payload-codec-cost.mjs [levels, default 3,6,9,12] [rounds, default 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ChdbSpanStore, schemaStatements } from '@tracetape/clickhouse';
import { prose, seededRandom } from './conversation-text.mjs';
import { median } from './stats.mjs';

const levels = (process.argv[2] ?? '3,6,9,12').split(',').map(Number);
const rounds = Number(process.argv[3] ?? 3);
const ROWS = 16_384;
const BATCH = 512;

const random = seededRandom(7);
const rows = Array.from({ length: ROWS }, (_, i) => {
  const Data = JSON.stringify({ normalized: { method: 'POST', url: `https://api.example.com/v1/items/${i}`, body: { encoding: 'utf8', data: prose(random, 4000) } } });
  return { Hash: createHash('sha256').update(Data).digest('hex'), Data, Size: Buffer.byteLength(Data), Timestamp: '2026-12-03 10:00:00.000000000' };
});
const payloadDdl = schemaStatements({ embedded: true }).find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `default`.`tracetape_payloads`'));
if (!payloadDdl?.includes('Data String CODEC(ZSTD(3))')) throw new Error('the payload table no longer has Data CODEC(ZSTD(3)); update this benchmark');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tracetape-bench-codec-'));
const results = new Map(levels.map((level) => [level, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const level of levels) {
      const dir = path.join(tmp, `${level}-${round}`);
      const store = new ChdbSpanStore({ dir });
      try {
        await store.init();
        await store.query('DROP TABLE tracetape_payloads', 'TabSeparated');
        await store.query(payloadDdl.replace('Data String CODEC(ZSTD(3))', `Data String CODEC(ZSTD(${level}))`), 'TabSeparated');
        const start = performance.now();
        for (let i = 0; i < ROWS; i += BATCH) await store.insert([], rows.slice(i, i + BATCH));
        const inserted = performance.now();
        await store.query('OPTIMIZE TABLE tracetape_payloads FINAL', 'TabSeparated');
        const merged = performance.now();
        const [part] = JSON.parse(
          await store.query(`SELECT sum(data_compressed_bytes) AS c, sum(data_uncompressed_bytes) AS u FROM system.parts WHERE table = 'tracetape_payloads' AND active FORMAT JSON`, 'TabSeparated'),
        ).data;
        results.get(level).push({ insertMs: inserted - start, mergeMs: merged - inserted, ratio: Number(part.u) / Number(part.c) });
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const mb = rows.reduce((total, row) => total + row.Size, 0) / 1e6;
console.log(`${ROWS} unique payload rows, ${mb.toFixed(1)} MB; medians of ${rounds}`);
console.log('| Data codec | insert | rows/s | OPTIMIZE FINAL | compression ratio |');
console.log('|---|---|---|---|---|');
for (const [level, runs] of results) {
  const insertMs = median(runs.map((r) => r.insertMs));
  console.log(`| ZSTD(${level}) | ${insertMs.toFixed(0)} ms | ${Math.round((ROWS / insertMs) * 1000)} | ${median(runs.map((r) => r.mergeMs)).toFixed(0)} ms | ${runs[0].ratio.toFixed(2)} |`);
}
