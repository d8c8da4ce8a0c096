// Start-up: wall time to exit and peak RSS of a hello world (bench/hello-app.mjs: one fetch to a
// loopback server, then exit) run with plain `node`, with a plain OpenTelemetry register hook,
// with tracetape's register hook, and with tracetape's hook as it was before the recording log
// (bench/previous-hook.mjs, commit 7233e78: the app loaded chDB and inserted itself), side by side.
//
// Runs are interleaved variant by variant, after one uncounted warm-up run each (the first load of
// chDB's 550 MB library comes from disk); medians. Peak RSS is /usr/bin/time's %M (the whole
// process, exit handlers included), or the app's own process.resourceUsage() where it is missing.
// Both tracetape variants must have recorded every run's call: checked through each build's CLI.
//
//   node bench/startup.mjs [--quick|--smoke]     prints the figures as JSON
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { preparePreviousHook, PREVIOUS_LABEL } from './previous-hook.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { runToEnd, tail } from './scale-child.mjs';
import { median } from './stats.mjs';
import { cleanEnv, plainOtelRegister, tracetapeRegister } from './variants.mjs';
import { verifyRecording } from './verify-recording.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.join(here, 'hello-app.mjs');
const TIME = '/usr/bin/time';
const SIZES = { full: { runs: 10 }, quick: { runs: 4 }, smoke: { runs: 2 } };

const log = (text) => process.stderr.write(`${text}\n`);

async function runOnce(variant, tmpDir, index) {
  const timed = existsSync(TIME);
  const timeFile = path.join(tmpDir, `time-${index}`);
  const nodeArgs = [...(variant.register ? ['--import', pathToFileURL(variant.register).href] : []), app];
  const command = timed ? TIME : process.execPath;
  const args = timed ? ['-f', '%M', '-o', timeFile, process.execPath, ...nodeArgs] : nodeArgs;
  const started = performance.now();
  const result = await runToEnd(command, args, { env: variant.env, cwd: tmpDir, timeoutMs: 60_000 });
  const wallMs = performance.now() - started;
  if (result.code !== 0 || !result.stdout.includes('hello ok')) {
    throw new BenchCheckFailed([`${variant.label}: the hello world ended with ${result.signal ?? result.code} (stdout ${JSON.stringify(result.stdout.slice(0, 200))}): ${tail(result.stderr)}`]);
  }
  const noise = result.stderr.replace(/^bench-max-rss-kb \d+\n?/m, '').trim();
  if (noise) throw new BenchCheckFailed([`${variant.label}: the hello world wrote to stderr: ${noise.slice(0, 500)}`]);
  const kb = timed ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : Number(/bench-max-rss-kb (\d+)/.exec(result.stderr)?.[1]);
  return { wallMs, rssMb: kb / 1024 };
}

export async function measure(flags = {}) {
  const { runs } = sizeFor(flags, SIZES);
  const tmpDir = flags.tmpDir ?? os.tmpdir();
  mkdirSync(tmpDir, { recursive: true });
  const previous = preparePreviousHook();
  if (previous.error) log(`start-up: ${previous.error}; measuring without it`);
  const storeOf = (id) => path.join(tmpDir, `store-${id}`);
  const variants = [
    { id: 'node', label: 'plain node', env: cleanEnv() },
    { id: 'otel', label: 'plain OpenTelemetry', register: plainOtelRegister, env: cleanEnv() },
    { id: 'tracetape', label: 'tracetape', register: tracetapeRegister, env: cleanEnv({ TRACETAPE_MODE: 'capture', TRACETAPE_DIR: storeOf('tracetape') }) },
    ...(previous.error
      ? []
      : [{ id: 'previous', label: PREVIOUS_LABEL, register: previous.register, cli: previous.cli, env: cleanEnv({ TRACETAPE_MODE: 'capture', TRACETAPE_DIR: storeOf('previous') }) }]),
  ];
  for (const variant of variants) rmSync(storeOf(variant.id), { recursive: true, force: true });
  const results = new Map(variants.map((v) => [v.id, []]));
  let index = 0;
  // One warm-up run each (not counted), then `runs` rounds, rotating which variant goes first.
  for (let round = -1; round < runs; round++) {
    const order = variants.map((_, i) => variants[(i + Math.max(0, round)) % variants.length]);
    for (const variant of order) {
      const run = await runOnce(variant, tmpDir, index++);
      if (round >= 0) results.get(variant.id).push(run);
      log(`start-up, ${round < 0 ? 'warm-up' : `run ${round + 1}`} ${variant.id.padEnd(10)} ${run.wallMs.toFixed(0).padStart(6)} ms  ${run.rssMb.toFixed(0).padStart(5)} MB`);
    }
  }

  // Every run (warm-up included) recorded its one call.
  const failures = [];
  for (const variant of variants.filter((v) => v.id === 'tracetape' || v.id === 'previous')) {
    const recording = await verifyRecording(storeOf(variant.id), runs + 1, variant.cli);
    if (recording.tracesWithCalls < runs + 1 || recording.recordedCalls < runs + 1) {
      failures.push(`${variant.label} recorded ${recording.recordedCalls} calls in ${recording.tracesWithCalls} traces over ${runs + 1} runs${recording.error ? ` (${recording.error})` : ''}`);
    }
  }
  if (failures.length) throw new BenchCheckFailed(failures);

  const med = (id, key) => median(results.get(id).map((r) => r[key]));
  const has = (id) => results.has(id);
  const how = `median of ${runs} runs after a warm-up run each, variants interleaved; the app: one fetch to a loopback server it starts, then exit`;
  const figures = [];
  for (const [key, what, unit, digits] of [['wallMs', 'wall time to exit', 'ms', 0], ['rssMb', 'peak RSS', 'MB', 0]]) {
    const others = `plain node ${med('node', key).toFixed(digits)} ${unit}`;
    figures.push({
      name: `start-up: hooked hello world, ${what}`,
      value: med('tracetape', key),
      unit,
      baseline: { label: 'plain OTel', value: med('otel', key), unit },
      ratio: med('tracetape', key) / med('otel', key),
      detail:
        `${others}; ` +
        (has('previous') ? `${PREVIOUS_LABEL} ${med('previous', key).toFixed(digits)} ${unit} (this hook ×${(med('tracetape', key) / med('previous', key)).toFixed(2)} of it); ` : `${PREVIOUS_LABEL}: ${previous.error}; `) +
        `${how}${key === 'rssMb' ? `; ${existsSync(TIME) ? '/usr/bin/time %M' : 'process.resourceUsage().maxRSS at exit'}` : ''}`,
    });
    if (has('previous')) {
      figures.push({
        name: `start-up: hello world, ${what}, before the log (${previous.commit})`,
        value: med('previous', key),
        unit,
        baseline: { label: 'plain OTel', value: med('otel', key), unit },
        ratio: med('previous', key) / med('otel', key),
        detail: `the register hook before the recording log: loads chDB and inserts from the app's process; ${others}; ${how}`,
      });
    }
  }
  if (!has('previous')) figures.push({ name: `start-up: ${PREVIOUS_LABEL} not available`, value: NaN, unit: '', detail: previous.error });
  return figures;
}

runIfMain(import.meta.url, measure);
