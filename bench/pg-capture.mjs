// Database capture overhead: a loop of parameterised `pg` queries against a local PostgreSQL,
// with tracetape's hook beside the official OpenTelemetry pg instrumentation alone (and beside
// no instrumentation at all, for scale). Variants interleave round by round; medians.
//
//   node bench/pg-capture.mjs [--quick|--smoke]     prints the figures as JSON
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findOrStartServers } from '../examples/support-agent/local-servers.mjs';
import { BenchCheckFailed } from './figures.mjs';
import { runNode } from './node-run.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { median } from './stats.mjs';
import { cleanEnv, tracetapeCli } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const loop = path.join(here, 'pg-query-loop.mjs');
const otelRegister = path.join(here, 'pg-otel-register.mjs');
const floorRegister = path.join(here, 'pg-floor-register.mjs');
const TARGET_P99 = 1.05;

const SIZES = {
  full: { warmup: 500, queries: 5000, rounds: 3 },
  quick: { warmup: 200, queries: 2000, rounds: 1 },
  smoke: { warmup: 20, queries: 200, rounds: 1 },
};

const log = (text) => process.stderr.write(`${text}\n`);

export async function measure(flags = {}) {
  const { warmup, queries, rounds } = sizeFor(flags, SIZES);
  const tmp = fs.mkdtempSync(path.join(flags.tmpDir ?? os.tmpdir(), 'tracetape-bench-pg-'));
  const servers = await findOrStartServers({ redis: false });
  try {
    const env = cleanEnv({ DATABASE_URL: servers.databaseUrl, TRACETAPE_DIR: path.join(tmp, 'store'), TRACETAPE_FLOOR_FILE: path.join(tmp, 'floor.jsonl') });
    const loopArgs = [loop, String(warmup), String(queries)];
    const variants = [
      { id: 'none', label: 'no instrumentation', args: loopArgs },
      { id: 'otel', label: 'official pg instrumentation alone', args: ['--import', pathToFileURL(otelRegister).href, ...loopArgs] },
      // What any in-process recorder of every query pays at least: the rows as JSON, a hash, a file.
      { id: 'floor', label: 'official instrumentation + the least a recorder does', args: ['--import', pathToFileURL(floorRegister).href, ...loopArgs] },
      // Through the CLI, as users record: it also says how many calls the run recorded.
      { id: 'tracetape', label: 'tracetape', args: [tracetapeCli, 'record', '--', process.execPath, ...loopArgs] },
    ];
    const results = new Map(variants.map((v) => [v.id, []]));
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants.map((_, i) => variants[(i + round) % variants.length])) {
        const run = await runNode(variant.args, env, { name: `pg query loop (${variant.id})`, timeoutMs: 300_000 });
        if (run.code !== 0) throw new BenchCheckFailed([`pg query loop (${variant.id}) failed (${run.signal ?? run.code}): ${run.stderr.slice(-2000)}`]);
        if (variant.id === 'tracetape') {
          const calls = Number(/recorded trace [0-9a-f]{32} \([^,]*, (\d+) calls\)/.exec(run.stderr)?.[1]);
          if (calls !== warmup + queries) throw new BenchCheckFailed([`tracetape recorded ${calls} of the ${warmup + queries} queries:\n${run.stderr.slice(-2000)}`]);
        }
        const figures = JSON.parse(run.stdout.trim().split('\n').at(-1));
        results.get(variant.id).push(figures);
        log(`pg capture, round ${round + 1} ${variant.id.padEnd(10)} p50 ${figures.p50.toFixed(3)} ms  p99 ${figures.p99.toFixed(3)} ms  CPU ${figures.cpuUsPerQuery.toFixed(0)} µs/query`);
      }
    }
    const med = (id, key) => median(results.get(id).map((r) => r[key]));
    const detail = `${queries} parameterised queries (5 rows each) in a row through a pg Pool, after ${warmup} to warm up, against a local PostgreSQL; ${rounds} round(s), medians; no instrumentation: p99 ${med('none', 'p99').toFixed(3)} ms, ${med('none', 'cpuUsPerQuery').toFixed(0)} µs of CPU per query; every query recorded (checked)`;
    const p99 = med('tracetape', 'p99');
    const otelP99 = med('otel', 'p99');
    return [
      {
        name: 'databases: pg query latency p99',
        value: p99,
        unit: 'ms',
        baseline: { label: 'official pg instrumentation alone', value: otelP99, unit: 'ms' },
        ratio: p99 / otelP99,
        target: `≤ ×${TARGET_P99} of the official instrumentation alone`,
        ...(flags.smoke ? {} : { met: p99 / otelP99 <= TARGET_P99 }),
        detail,
      },
      {
        name: 'databases: CPU per pg query',
        value: med('tracetape', 'cpuUsPerQuery') / 1000,
        unit: 'ms',
        baseline: { label: 'official pg instrumentation alone', value: med('otel', 'cpuUsPerQuery') / 1000, unit: 'ms' },
        ratio: med('tracetape', 'cpuUsPerQuery') / med('otel', 'cpuUsPerQuery'),
        detail: `all threads of the app's process, over the measured queries; ${detail}`,
      },
      {
        // Not a target: the measured reason the p99 target above is out of reach on this machine.
        name: 'databases: pg query latency p99, the least any recorder does',
        value: med('floor', 'p99'),
        unit: 'ms',
        baseline: { label: 'official pg instrumentation alone', value: otelP99, unit: 'ms' },
        ratio: med('floor', 'p99') / otelP99,
        detail: `the official instrumentation plus only a sha256 of statement and parameters, the rows as JSON on the span and each batch appended to a file (bench/pg-floor-register.mjs), CPU ${(med('floor', 'cpuUsPerQuery') / 1000).toFixed(3)} ms per query; tracetape p99 is ×${(p99 / med('floor', 'p99')).toFixed(2)} of this floor; ${detail}`,
      },
    ];
  } finally {
    await servers.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, measure);
