// The measured app of bench/pg-capture.mjs: parameterised queries through a `pg` Pool, one after
// the other, each timed. Prints one JSON line: latency percentiles, and CPU per query of the
// whole process (all threads) over the measured queries.
//
//   DATABASE_URL=… node [--import <hook>] bench/pg-query-loop.mjs <warmup> <queries>
import pg from 'pg';

const [warmup, queries] = process.argv.slice(2).map(Number);
if (!Number.isInteger(warmup) || !Number.isInteger(queries) || queries <= 0) throw new Error('usage: node bench/pg-query-loop.mjs <warmup> <queries>');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const statement = 'SELECT $1::int AS id, $2::text AS customer, $3::numeric AS total FROM generate_series(1, 5)';

async function one(i) {
  const result = await pool.query(statement, [i, `customer-${i % 97}`, (i % 1000) / 10]);
  if (result.rowCount !== 5) throw new Error(`query ${i} returned ${result.rowCount} rows`);
}

for (let i = 0; i < warmup; i++) await one(i);
const latencies = new Float64Array(queries);
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < queries; i++) {
  const t = performance.now();
  await one(warmup + i);
  latencies[i] = performance.now() - t;
}
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
await pool.end();
latencies.sort();
const at = (p) => latencies[Math.min(queries - 1, Math.ceil((p / 100) * queries) - 1)];
process.stdout.write(`${JSON.stringify({ queries, p50: at(50), p99: at(99), wallMs, cpuUsPerQuery: (cpu.user + cpu.system) / queries })}\n`);
