// Ingest throughput: how fast `tracetape ingest` (LogIngester) moves a recording log into a fresh
// embedded chDB store, beside ClickHouse alone storing the same rows pre-built, in the same run.
//
// The log is written once, as apps write it: spans with ~4 KB of unique payload each
// (tracetape.request ~2.3 KiB, tracetape.response ~1.7 KiB), appended through the register hook's
// LogSpanExporter and LogWriter in batches of 512 by two writer processes at once, as rows records
// (what the hook writes for the embedded store); once more as OTLP/JSON records (what it writes for
// a server or a collector, and what every log held before), to show what the record format buys. Each measured
// child gets its own copy of that log and a fresh store, runs on one core pinned with taskset
// (chDB's threads included) or on all cores, and checks that every span arrived and a payload
// reads back byte for byte. Children are interleaved round by round; medians.
//
//   node bench/ingest-throughput.mjs [--quick|--smoke]     prints the figures as JSON
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { runToEnd, tail } from './scale-child.mjs';
import { median } from './stats.mjs';
import { cleanEnv } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const writerScript = path.join(here, 'ingest-writer-child.mjs');
const childScript = path.join(here, 'ingest-child.mjs');
const TASKSET = '/usr/bin/taskset';
const TARGET_SPANS_PER_SECOND = 30_000;
const TARGET_RATIO = 0.85;
const WRITERS = 2;
// LogIngester's defaults, and a smaller insert: the lever of insert size (larger ones were slower, BENCHMARKS.md).
const DEFAULT_INSERT = { spans: 16_384, bytes: 64 * 2 ** 20 };
const SMALL_INSERT = { spans: 4_096, bytes: 64 * 2 ** 20 };

const SIZES = {
  full: { spans: 32_768, rounds: 3 },
  quick: { spans: 16_384, rounds: 1 },
  smoke: { spans: 2_048, rounds: 1 },
};

const log = (text) => process.stderr.write(`${text}\n`);

// In each group, the ingester is read against the engine alone with the same insert bounds.
function variantsFor(smoke) {
  const all = [
    { id: 'ingest-pinned', mode: 'ingest', insert: DEFAULT_INSERT, pinned: true, log: 'rows' },
    { id: 'engine-pinned', mode: 'engine', insert: DEFAULT_INSERT, pinned: true, log: 'rows' },
    { id: 'ingest-otlp-pinned', mode: 'ingest', insert: DEFAULT_INSERT, pinned: true, log: 'otlp' },
    { id: 'ingest-4k-pinned', mode: 'ingest', insert: SMALL_INSERT, pinned: true, log: 'rows' },
    { id: 'engine-4k-pinned', mode: 'engine', insert: SMALL_INSERT, pinned: true, log: 'rows' },
    { id: 'ingest-unpinned', mode: 'ingest', insert: DEFAULT_INSERT, pinned: false, log: 'rows' },
    { id: 'engine-unpinned', mode: 'engine', insert: DEFAULT_INSERT, pinned: false, log: 'rows' },
  ];
  // Smoke proves the harness and the checks; the small inserts only change two arguments.
  return smoke ? all.filter((v) => !v.id.includes('4k')) : all;
}

async function writeLog(logDir, spans, encoding) {
  const started = performance.now();
  const per = Math.ceil(spans / WRITERS);
  const results = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) =>
      runToEnd(process.execPath, [writerScript, logDir, String(Math.min(per, spans - i * per)), String(101 + i), encoding], { env: cleanEnv(), cwd: here }),
    ),
  );
  const writers = results.map((result, i) => {
    if (result.code !== 0) throw new Error(`log writer ${i + 1} failed (${result.signal ?? result.code}):\n${tail(result.stderr)}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1));
  });
  return { writers, wallMs: performance.now() - started };
}

async function runChild(variant, masterLogs, tmpDir, index) {
  const dir = path.join(tmpDir, `run-${index}-${variant.id}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    // Each child consumes (removes) its log: a copy of the same one for every run.
    cpSync(masterLogs[variant.log], path.join(dir, 'log'), { recursive: true });
    const pinned = variant.pinned && existsSync(TASKSET);
    const args = [childScript, path.join(dir, 'log'), path.join(dir, 'store'), variant.mode, String(variant.insert.spans), String(variant.insert.bytes)];
    const result = await runToEnd(pinned ? TASKSET : process.execPath, pinned ? ['-c', '0', process.execPath, ...args] : args, { env: cleanEnv(), cwd: here, timeoutMs: 600_000 });
    if (result.code !== 0) throw new BenchCheckFailed([`${variant.id}: the ingest benchmark child failed (${result.signal ?? result.code}): ${tail(result.stderr)}`]);
    return { ...JSON.parse(result.stdout.trim().split('\n').at(-1)), pinned };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measure(flags = {}) {
  const { spans, rounds } = sizeFor(flags, SIZES);
  const tmpDir = flags.tmpDir ?? os.tmpdir();
  const masterLogs = { rows: path.join(tmpDir, 'ingest-log-rows'), otlp: path.join(tmpDir, 'ingest-log-otlp') };
  for (const dir of Object.values(masterLogs)) rmSync(dir, { recursive: true, force: true });
  const variants = variantsFor(flags.smoke);
  try {
    const written = {};
    for (const encoding of ['rows', 'otlp']) {
      log(`ingest: writing ${spans} spans into a recording log (${encoding} records) from ${WRITERS} processes ...`);
      written[encoding] = await writeLog(masterLogs[encoding], spans, encoding);
      const writtenSpans = written[encoding].writers.reduce((sum, w) => sum + w.spans, 0);
      if (writtenSpans !== spans) throw new BenchCheckFailed([`the log writers wrote ${writtenSpans} of ${spans} spans (${encoding} records)`]);
    }

    const results = new Map(variants.map((v) => [v.id, []]));
    let index = 0;
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const variant of order) {
        const run = await runChild(variant, masterLogs, tmpDir, index++);
        if (run.spans !== spans) throw new BenchCheckFailed([`${variant.id}: stored ${run.spans} of the ${spans} spans in the log`]);
        const perSecond = (run.spans * 1000) / run.wallMs;
        results.get(variant.id).push({ ...run, perSecond });
        log(
          `ingest, round ${round + 1} ${variant.id.padEnd(24)} ${String(Math.round(perSecond)).padStart(6)} spans/s  ${run.inserts} inserts  ` +
            `CPU ${((run.cpuMs / run.wallMs) * 100).toFixed(0)}% of wall  RSS ${run.rssMb.toFixed(0)} MB${variant.pinned && !run.pinned ? '  (NOT pinned: no taskset)' : ''}`,
        );
      }
    }
    const med = (id, key = 'perSecond') => median(results.get(id).map((r) => r[key]));
    const inserts = (id) => results.get(id)[0].inserts;
    const appCpuUsPerSpan = (encoding) => (written[encoding].writers.reduce((sum, w) => sum + w.cpuMs, 0) * 1000) / spans;
    const common =
      `${spans} spans, ~4 KB of unique payload each, written into the log by ${WRITERS} processes through LogSpanExporter as rows records ` +
      `(batches of 512; ${appCpuUsPerSpan('rows').toFixed(0)} µs of the app's CPU per span, against ${appCpuUsPerSpan('otlp').toFixed(0)} µs as OTLP/JSON); ${rounds} round(s), medians; every span and a sample payload verified`;
    const pair = (name, ingestId, engineId, note) => {
      const value = med(ingestId);
      const engine = med(engineId);
      const ratio = value / engine;
      return {
        name,
        value: Math.round(value),
        unit: 'spans/s',
        baseline: { label: 'chDB alone, same rows pre-built', value: Math.round(engine), unit: 'spans/s' },
        ratio,
        target: `>= ${TARGET_SPANS_PER_SECOND} spans/s, >= ×${TARGET_RATIO} of chDB alone`,
        ...(flags.smoke ? {} : { met: value >= TARGET_SPANS_PER_SECOND && ratio >= TARGET_RATIO }),
        detail: `${note}; ${inserts(ingestId)} inserts (engine alone: ${inserts(engineId)}); ${common}`,
      };
    };
    const figures = [pair('ingest throughput, one pinned core', 'ingest-pinned', 'engine-pinned', 'LogIngester.ingest() with its defaults (16,384 spans or 64 MiB per insert), child pinned to CPU 0 with taskset, chDB threads included')];
    if (results.has('ingest-unpinned') && results.has('engine-unpinned')) {
      figures.push(pair('ingest throughput, all cores', 'ingest-unpinned', 'engine-unpinned', `the same, not pinned (${os.availableParallelism()} cores)`));
    }
    if (results.has('ingest-4k-pinned')) {
      figures.push(pair('ingest throughput, inserts up to 4k spans, pinned', 'ingest-4k-pinned', 'engine-4k-pinned', 'maxSpansPerInsert 4,096, pinned'));
    }
    figures.push({
      name: 'ingest of an OTLP/JSON log, one pinned core',
      value: Math.round(med('ingest-otlp-pinned')),
      unit: 'spans/s',
      baseline: { label: 'the same spans as rows records (the default)', value: Math.round(med('ingest-pinned')), unit: 'spans/s' },
      ratio: med('ingest-otlp-pinned') / med('ingest-pinned'),
      detail: `the records the hook writes for a server or a collector (and every log held before rows records), decoded, converted and encoded at ingest; ${common}`,
    });
    return figures;
  } finally {
    for (const dir of Object.values(masterLogs)) rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, measure);
