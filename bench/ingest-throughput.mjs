// Ingest throughput: how fast `tracetape ingest` (LogIngester) moves a recording log into a fresh
// embedded chDB store, beside ClickHouse alone storing the same rows pre-built, in the same run.
//
// The log is written once, as apps write it: spans with ~4 KB of unique payload each
// (tracetape.request ~2.3 KiB, tracetape.response ~1.7 KiB), appended through the register hook's
// LogSpanExporter and LogWriter in batches of 512 by two writer processes at once. Each measured
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
// LogIngester's defaults, and a larger insert: the one lever of insert size.
const DEFAULT_INSERT = { spans: 16_384, bytes: 64 * 2 ** 20 };
const LARGE_INSERT = { spans: 65_536, bytes: 512 * 2 ** 20 };

const SIZES = {
  full: { spans: 32_768, rounds: 3 },
  quick: { spans: 16_384, rounds: 1 },
  smoke: { spans: 2_048, rounds: 1 },
};

const log = (text) => process.stderr.write(`${text}\n`);

// In each group, the ingester is read against the engine alone with the same insert bounds.
function variantsFor(smoke) {
  const all = [
    { id: 'ingest-pinned', mode: 'ingest', insert: DEFAULT_INSERT, pinned: true },
    { id: 'engine-pinned', mode: 'engine', insert: DEFAULT_INSERT, pinned: true },
    { id: 'ingest-pipelined-pinned', mode: 'ingest-pipelined', insert: DEFAULT_INSERT, pinned: true },
    { id: 'ingest-64k-pinned', mode: 'ingest', insert: LARGE_INSERT, pinned: true },
    { id: 'engine-64k-pinned', mode: 'engine', insert: LARGE_INSERT, pinned: true },
    { id: 'ingest-unpinned', mode: 'ingest', insert: DEFAULT_INSERT, pinned: false },
    { id: 'engine-unpinned', mode: 'engine', insert: DEFAULT_INSERT, pinned: false },
    { id: 'ingest-pipelined-unpinned', mode: 'ingest-pipelined', insert: DEFAULT_INSERT, pinned: false },
  ];
  // Smoke proves the harness and the checks; the 64k-span inserts only change two arguments.
  return smoke ? all.filter((v) => !v.id.includes('64k') && v.id !== 'ingest-pipelined-unpinned') : all;
}

async function writeLog(logDir, spans) {
  const started = performance.now();
  const per = Math.ceil(spans / WRITERS);
  const results = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => runToEnd(process.execPath, [writerScript, logDir, String(Math.min(per, spans - i * per)), String(101 + i)], { env: cleanEnv(), cwd: here })),
  );
  const writers = results.map((result, i) => {
    if (result.code !== 0) throw new Error(`log writer ${i + 1} failed (${result.signal ?? result.code}):\n${tail(result.stderr)}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1));
  });
  return { writers, wallMs: performance.now() - started };
}

async function runChild(variant, masterLog, tmpDir, index) {
  const dir = path.join(tmpDir, `run-${index}-${variant.id}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    // Each child consumes (removes) its log: a copy of the same one for every run.
    cpSync(masterLog, path.join(dir, 'log'), { recursive: true });
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
  const masterLog = path.join(tmpDir, 'ingest-log');
  rmSync(masterLog, { recursive: true, force: true });
  const variants = variantsFor(flags.smoke);
  try {
    log(`ingest: writing ${spans} spans into a recording log from ${WRITERS} processes ...`);
    const written = await writeLog(masterLog, spans);
    const writtenSpans = written.writers.reduce((sum, w) => sum + w.spans, 0);
    if (writtenSpans !== spans) throw new BenchCheckFailed([`the log writers wrote ${writtenSpans} of ${spans} spans`]);

    const results = new Map(variants.map((v) => [v.id, []]));
    let index = 0;
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const variant of order) {
        const run = await runChild(variant, masterLog, tmpDir, index++);
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
    const appCpuUsPerSpan = (written.writers.reduce((sum, w) => sum + w.cpuMs, 0) * 1000) / writtenSpans;
    const common =
      `${spans} spans, ~4 KB of unique payload each, written into the log by ${WRITERS} processes through LogSpanExporter ` +
      `(batches of 512; ${appCpuUsPerSpan.toFixed(0)} µs of the app's CPU per span); ${rounds} round(s), medians; every span and a sample payload verified`;
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
    const figures = [pair('ingest throughput, one pinned core', 'ingest-pinned', 'engine-pinned', 'LogIngester.ingest() with its defaults (16,384 spans or 64 MiB per insert, no pipelining), child pinned to CPU 0 with taskset, chDB threads included')];
    if (results.has('ingest-unpinned') && results.has('engine-unpinned')) {
      figures.push(pair('ingest throughput, all cores', 'ingest-unpinned', 'engine-unpinned', `the same, not pinned (${os.availableParallelism()} cores)`));
    }
    if (results.has('ingest-64k-pinned')) {
      figures.push(pair('ingest throughput, inserts up to 64k spans, pinned', 'ingest-64k-pinned', 'engine-64k-pinned', 'maxSpansPerInsert 65,536 and maxBytesPerInsert 512 MiB, pinned'));
    }
    for (const [id, where] of [['ingest-pipelined-pinned', 'one pinned core'], ['ingest-pipelined-unpinned', 'all cores']]) {
      if (!results.has(id)) continue;
      const serial = id.replace('-pipelined', '');
      figures.push({
        name: `ingest with pipelining, ${where}`,
        value: Math.round(med(id)),
        unit: 'spans/s',
        baseline: { label: 'without (the default)', value: Math.round(med(serial)), unit: 'spans/s' },
        ratio: med(id) / med(serial),
        detail: `LogIngester with pipeline: true: the next insert's records read and converted while the engine runs the current insert; ${common}`,
      });
    }
    return figures;
  } finally {
    rmSync(masterLog, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, measure);
