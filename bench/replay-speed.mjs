// Figure: how fast `tracetape replay` answers a run's calls from the tape, next to the same script
// calling a live loopback upstream with no instrumentation. The script records its call loop's
// duration itself, so the steps-per-second figure is not dominated by process start-up and by
// the CLI loading the tape; the whole command's rate is reported as well.
//
// The run is recorded once; then each round runs the live script (upstream up) and the replay
// (upstream stopped, so any call that reached the network would fail), alternating which goes
// first. Every replay must exit 0, print exactly what the recording printed (the upstream's
// answers carry nonces) and be served every step from the tape.
//
// Start-up: the time from invoking `tracetape replay` to the app's first line (the script prints
// when it starts, on a clock the replay does not answer), next to plain `node` to the same line,
// and its parts, measured in the same rounds: the CLI's own start (`tracetape --version`), opening
// the store and building and writing the tape (`tracetape tape <id> -o file`, less the CLI's start),
// and the register hook in playback (`node --import <hook>` to the first line, less plain node's).
// Linearity: runs of LINEAR.small and LINEAR.large calls are recorded and replayed, and their
// replay loops' steps per second compared.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { runNode } from './node-run.mjs';
import { ServiceProcess } from './service-process.mjs';
import { median } from './stats.mjs';
import { pathToFileURL } from 'node:url';
import { cleanEnv, tracetapeCli, tracetapeRegister } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'replay-script.mjs');
const upstreamScript = path.join(here, 'echo-upstream.mjs');
const SETTINGS = {
  full: { calls: 500, rounds: 3, linear: [1000, 10000] },
  quick: { calls: 300, rounds: 2, linear: [300, 3000] },
  smoke: { calls: 40, rounds: 1, linear: [20, 200] },
};
const START_TARGET_MS = 1000;
// The hook `tracetape replay` preloads: the bundle `npm run build` writes, else the modules.
const bundledHook = path.join(path.dirname(tracetapeRegister), 'hook', 'index.js');
const playbackHook = existsSync(bundledHook) ? bundledHook : tracetapeRegister;

const log = (text) => process.stderr.write(`${text}\n`);
const fail = (problem) => new BenchCheckFailed([problem]);

function firstLineMs(run, what) {
  const match = /^bench-first-line-epoch-ms ([\d.]+)$/m.exec(run.stderr);
  if (!match) throw fail(`${what} printed no first line:\n${run.stderr.trim().slice(0, 1000)}`);
  return Number(match[1]) - run.startedEpochMs;
}

function loopMs(stderr, what) {
  const match = /^bench-loop-ms ([\d.]+)$/m.exec(stderr);
  if (!match) throw fail(`${what} printed no call-loop time:\n${stderr.trim().slice(0, 1000)}`);
  return Number(match[1]);
}

class Upstream {
  constructor() {
    this.port = 0;
    this.process = undefined;
  }

  async start() {
    if (this.process) return;
    this.process = new ServiceProcess('echo upstream', [upstreamScript], cleanEnv({ BENCH_PORT: String(this.port) }));
    this.port = await this.process.ready();
  }

  async stop() {
    await this.process?.stop();
    this.process = undefined;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
}

export async function measure({ quick = false, smoke = false, tmpDir }) {
  const mode = smoke ? 'smoke' : quick ? 'quick' : 'full';
  const settings = SETTINGS[mode];
  mkdirSync(tmpDir, { recursive: true });
  const upstream = new Upstream();
  const rounds = [];
  const linear = [];
  let recorded;
  try {
    await upstream.start();
    const env = cleanEnv({ TRACETAPE_DIR: path.join(tmpDir, 'store'), BENCH_UPSTREAM_URL: upstream.url, BENCH_CALLS: String(settings.calls) });

    const recording = await runNode([tracetapeCli, 'record', '--', process.execPath, script], env, { name: 'tracetape record' });
    const traceId = /recorded trace ([0-9a-f]{32})/.exec(recording.stderr)?.[1];
    if (recording.code !== 0 || !traceId) throw fail(`recording the script failed (exit ${recording.signal ?? recording.code}):\n${recording.stderr.trim().slice(0, 1000)}`);
    recorded = { stdout: recording.stdout, loopMs: loopMs(recording.stderr, 'the recorded run') };
    log(`replay speed: recorded ${settings.calls} calls in trace ${traceId} (capture loop ${recorded.loopMs.toFixed(0)} ms)`);

    const tapeFile = path.join(tmpDir, 'tape.json');
    const startEnv = { ...env, BENCH_CALLS: '0' };
    const playbackEnv = { ...startEnv, TRACETAPE_MODE: 'playback', TRACETAPE_TAPE: tapeFile, TRACETAPE_REPORT_FILE: path.join(tmpDir, 'start-report.json') };
    const ok = (run, what) => {
      if (run.code !== 0) throw fail(`${what} failed (exit ${run.signal ?? run.code}):\n${run.stderr.trim().slice(0, 1000)}`);
      return run;
    };
    for (let round = 0; round < settings.rounds; round++) {
      const measured = {};
      // The start-up parts first, in an order that turns with the rounds; then the loops.
      const parts = ['cli', 'tape', 'node', 'hook'];
      for (const part of [...parts.slice(round % parts.length), ...parts.slice(0, round % parts.length)]) {
        if (part === 'cli') measured.cliMs = ok(await runNode([tracetapeCli, '--version'], env, { name: 'tracetape --version' }), 'tracetape --version').wallMs;
        if (part === 'tape') measured.tapeMs = ok(await runNode([tracetapeCli, 'tape', traceId, '-o', tapeFile], env, { name: 'tracetape tape' }), 'tracetape tape').wallMs;
        if (part === 'node') measured.nodeFirstMs = firstLineMs(ok(await runNode([script], startEnv, { name: 'plain node' }), 'plain node'), 'plain node');
        if (part === 'hook') {
          if (!measured.tapeMs) measured.tapeMs = ok(await runNode([tracetapeCli, 'tape', traceId, '-o', tapeFile], env, { name: 'tracetape tape' }), 'tracetape tape').wallMs;
          const hooked = ok(await runNode(['--import', pathToFileURL(playbackHook).href, script], playbackEnv, { name: 'hooked node' }), 'the playback hook');
          measured.hookFirstMs = firstLineMs(hooked, 'the playback hook');
        }
      }
      for (const step of round % 2 ? ['replay', 'live'] : ['live', 'replay']) {
        if (step === 'live') {
          await upstream.start();
          const live = await runNode([script], env, { name: 'live script' });
          if (live.code !== 0) throw fail(`the live script failed (exit ${live.signal ?? live.code}):\n${live.stderr.trim().slice(0, 1000)}`);
          measured.live = { loopMs: loopMs(live.stderr, 'the live script'), wallMs: live.wallMs };
        } else {
          await upstream.stop();
          measured.replay = await replayOnce(traceId, env, recorded.stdout, settings.calls, path.join(tmpDir, `report-${round}.json`));
        }
      }
      rounds.push(measured);
      log(
        `replay speed, round ${round + 1}: replay loop ${measured.replay.loopMs.toFixed(0)} ms (command ${measured.replay.wallMs.toFixed(0)} ms), ` +
          `live loop ${measured.live.loopMs.toFixed(0)} ms (process ${measured.live.wallMs.toFixed(0)} ms); ` +
          `replay to first line ${measured.replay.firstMs.toFixed(0)} ms (node ${measured.nodeFirstMs.toFixed(0)}, cli ${measured.cliMs.toFixed(0)}, ` +
          `tape ${measured.tapeMs.toFixed(0)}, hook ${measured.hookFirstMs.toFixed(0)})`,
      );
    }

    // Linearity: the same loop at two sizes, each recorded, then replayed with the upstream stopped.
    for (const calls of settings.linear) {
      await upstream.start();
      const sizeEnv = { ...env, BENCH_CALLS: String(calls) };
      const recorded = await runNode([tracetapeCli, 'record', '--', process.execPath, script], sizeEnv, { name: `tracetape record (${calls} calls)`, timeoutMs: 600_000 });
      const id = /recorded trace ([0-9a-f]{32})/.exec(recorded.stderr)?.[1];
      if (recorded.code !== 0 || !id) throw fail(`recording ${calls} calls failed (exit ${recorded.signal ?? recorded.code}):\n${recorded.stderr.trim().slice(0, 1000)}`);
      await upstream.stop();
      const replayed = await replayOnce(id, sizeEnv, recorded.stdout, calls, path.join(tmpDir, `report-linear-${calls}.json`), 600_000);
      linear.push({ calls, loopMs: replayed.loopMs, wallMs: replayed.wallMs, firstMs: replayed.firstMs });
      log(`replay speed, linearity: ${calls} steps replayed in ${replayed.loopMs.toFixed(0)} ms (${((calls * 1000) / replayed.loopMs).toFixed(0)} steps/s), first line after ${replayed.firstMs.toFixed(0)} ms`);
    }
  } finally {
    await upstream.stop();
  }

  const rate = (ms) => (settings.calls * 1000) / ms;
  const of = (step, key) => median(rounds.map((round) => round[step][key]));
  const pairedRatio = (key) => median(rounds.map((round) => round.live[key] / round.replay[key]));
  const baseline = (value) => ({ label: 'live, no instrumentation', value, unit: 'calls/s' });
  const part = (key) => median(rounds.map((round) => round[key]));
  const firstMs = median(rounds.map((round) => round.replay.firstMs));
  const [small, large] = linear;
  const linearRate = (entry) => (entry.calls * 1000) / entry.loopMs;
  return [
    {
      name: 'replay speed, call loop',
      value: rate(of('replay', 'loopMs')),
      unit: 'steps/s',
      baseline: baseline(rate(of('live', 'loopMs'))),
      ratio: pairedRatio('loopMs'),
      target: '>= ×1.00 of live',
      met: pairedRatio('loopMs') >= 1,
      detail:
        `${settings.calls} sequential fetch POSTs (small JSON), ${rounds.length} round(s), medians; the recording run (capture on) ` +
        `made ${rate(recorded.loopMs).toFixed(0)} calls/s; every replay exited 0 with the recorded output, all steps served, upstream stopped`,
    },
    {
      name: 'replay speed, whole command',
      value: rate(of('replay', 'wallMs')),
      unit: 'steps/s',
      baseline: baseline(rate(of('live', 'wallMs'))),
      ratio: pairedRatio('wallMs'),
      detail: `\`tracetape replay\` from start to exit: ${of('replay', 'wallMs').toFixed(0)} ms (reading the tape, starting the hooked app); live process: ${of('live', 'wallMs').toFixed(0)} ms`,
    },
    {
      name: 'replay start: command to first line',
      value: firstMs,
      unit: 'ms',
      baseline: { label: 'plain node to first line', value: part('nodeFirstMs'), unit: 'ms' },
      ratio: firstMs / part('nodeFirstMs'),
      target: `<= ${START_TARGET_MS} ms`,
      met: firstMs <= START_TARGET_MS,
      detail:
        `\`tracetape replay <id> -- node app\` from spawn to the app's first line (${settings.calls}-step tape), medians of ${rounds.length}; ` +
        `parts, each measured on its own in the same rounds: CLI start (\`tracetape --version\`) ${part('cliMs').toFixed(0)} ms, ` +
        `store open + tape build + write (\`tracetape tape -o\`, less the CLI start; it also signs the file, which replay no longer does) ${(part('tapeMs') - part('cliMs')).toFixed(0)} ms, ` +
        `playback hook (\`node --import\` ${playbackHook === bundledHook ? 'bundled' : 'modules'}, to first line, less plain node) ${(part('hookFirstMs') - part('nodeFirstMs')).toFixed(0)} ms, plain node ${part('nodeFirstMs').toFixed(0)} ms`,
    },
    {
      name: `replay linearity, ${large.calls} vs ${small.calls} steps`,
      value: linearRate(large),
      unit: 'steps/s',
      baseline: { label: `${small.calls} steps`, value: linearRate(small), unit: 'steps/s' },
      ratio: linearRate(large) / linearRate(small),
      target: '>= ×0.90 (linear)',
      met: linearRate(large) / linearRate(small) >= 0.9,
      detail:
        `replay call loop, one recording and one replay per size, upstream stopped; first line after ${small.firstMs.toFixed(0)} ms (${small.calls} steps) and ` +
        `${large.firstMs.toFixed(0)} ms (${large.calls} steps); whole command ${(small.wallMs / 1000).toFixed(1)} s and ${(large.wallMs / 1000).toFixed(1)} s`,
    },
  ];
}

async function replayOnce(traceId, env, expectedStdout, calls, reportFile, timeoutMs = 120_000) {
  const replay = await runNode([tracetapeCli, 'replay', traceId, '--report', reportFile, '--', process.execPath, script], env, { name: 'tracetape replay', timeoutMs });
  if (replay.code !== 0) throw fail(`the replay failed (exit ${replay.signal ?? replay.code}):\n${replay.stderr.trim().slice(0, 1500)}`);
  if (replay.stdout !== expectedStdout) throw fail(`the replay printed ${JSON.stringify(replay.stdout)}, the recording ${JSON.stringify(expectedStdout)}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (report.served.length !== calls || report.blocked.length > 0 || report.unconsumed.length > 0) {
    throw fail(`the replay served ${report.served.length} of ${calls} steps (${report.blocked.length} blocked, ${report.unconsumed.length} unconsumed)`);
  }
  return { loopMs: loopMs(replay.stderr, 'the replay'), wallMs: replay.wallMs, firstMs: firstLineMs(replay, 'the replay') };
}
