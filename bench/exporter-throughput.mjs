// Exporter throughput: recorded-call spans carrying about 4 KB of unique payload each
// (tracetape.request + tracetape.response) pushed through ClickHouseSpanExporter into a fresh
// embedded chDB store, one batch at a time as the register hook does, in a child process pinned
// to one core. The clock runs from the first measured export call to the last callback, after a
// warm-up batch that creates the schema; the child then checks the row count and reads a payload back.
//
//   node bench/exporter-throughput.mjs [--quick|--smoke]     prints the figures as JSON
//   BENCH_CPU_PROF_DIR=/tmp/prof node bench/exporter-throughput.mjs    also writes a CPU profile per child
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { runToEnd, tail } from './scale-child.mjs';
import { cleanEnv } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const childScript = path.join(here, 'scale-exporter-child.mjs');
const TASKSET = '/usr/bin/taskset';
const TARGET = 20_000;

const SIZES = {
  full: { spans: 30_720, batches: [128, 1024] },
  quick: { spans: 10_240, batches: [128, 1024] },
  smoke: { spans: 1_024, batches: [128] },
};

export async function measure(flags = {}) {
  const { spans, batches } = sizeFor(flags, SIZES);
  const figures = [];
  // ClickHouse alone, same rows and schema, pre-built inserts of 4096 spans: what the engine
  // allows on this core, so the exporter's figure can be read against it.
  const engine = await runChild(spans, batches[0], flags.tmpDir ?? os.tmpdir(), 'engine');
  const enginePerSecond = (engine.spans * 1000) / engine.wallMs;
  for (const batch of batches) {
    const run = await runChild(spans, batch, flags.tmpDir ?? os.tmpdir());
    const perSecond = (run.spans * 1000) / run.wallMs;
    figures.push({
      name: `exporter throughput, batches of ${batch}`,
      value: Math.round(perSecond),
      unit: 'spans/s',
      baseline: { label: 'chDB alone, pre-built inserts', value: Math.round(enginePerSecond), unit: 'spans/s' },
      ratio: perSecond / enginePerSecond,
      target: `>= ${TARGET} spans/s on one core`,
      ...(flags.smoke ? {} : { met: perSecond >= TARGET }),
      detail:
        `${run.spans} spans, ${(run.payloadBytes / run.spans / 1024).toFixed(1)} KiB of unique payload each ` +
        `(tracetape.request ~2.3 KiB, tracetape.response ~1.7 KiB), ClickHouseSpanExporter into embedded chDB, ` +
        `${run.pinned ? 'child pinned to CPU 0 with taskset (chDB threads included)' : 'NOT pinned: taskset unavailable'}; ` +
        `${(run.wallMs / 1000).toFixed(2)} s wall, ${(run.cpuMs / run.spans).toFixed(3)} ms CPU per span ` +
        `(${((run.cpuMs / run.wallMs) * 100).toFixed(0)}% of wall), ${(run.payloadBytes / 2 ** 20 / (run.wallMs / 1000)).toFixed(1)} MiB/s of payload; ` +
        `warm-up batch (schema creation) excluded; row count and a sample payload verified`,
    });
  }
  return figures;
}

/** `engine`: ClickHouse alone (see scale-exporter-child.mjs for `engine:<part>`); omitted: the exporter. */
export async function runChild(spans, batch, tmpDir, engine) {
  const nodeArgs = [];
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  if (profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const pinned = existsSync(TASKSET);
  const command = pinned ? TASKSET : process.execPath;
  const args = [...(pinned ? ['-c', '0', process.execPath] : []), ...nodeArgs, childScript, String(spans), String(batch), tmpDir, ...(engine ? [engine] : [])];
  const result = await runToEnd(command, args, { env: cleanEnv(), cwd: here });
  if (result.code !== 0) throw new Error(`the exporter benchmark child failed (${result.signal ?? result.code}):\n${tail(result.stderr)}`);
  const line = result.stdout.trim().split('\n').at(-1);
  return { ...JSON.parse(line), pinned };
}

runIfMain(import.meta.url, measure);
