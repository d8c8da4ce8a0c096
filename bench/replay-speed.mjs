// Figure: how fast `tracetape replay` answers a run's calls from the tape, next to the same script
// calling a live loopback upstream with no instrumentation. The script records its call loop's
// duration itself, so the steps-per-second figure is not dominated by process start-up and by
// the CLI loading the tape; the whole command's rate is reported as well.
//
// The run is recorded once; then each round runs the live script (upstream up) and the replay
// (upstream stopped, so any call that reached the network would fail), alternating which goes
// first. Every replay must exit 0, print exactly what the recording printed (the upstream's
// answers carry nonces) and be served every step from the tape.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { runNode } from './node-run.mjs';
import { ServiceProcess } from './service-process.mjs';
import { median } from './stats.mjs';
import { cleanEnv, tracetapeCli } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'replay-script.mjs');
const upstreamScript = path.join(here, 'echo-upstream.mjs');
const SETTINGS = {
  full: { calls: 500, rounds: 3 },
  quick: { calls: 300, rounds: 2 },
  smoke: { calls: 40, rounds: 1 },
};

const log = (text) => process.stderr.write(`${text}\n`);
const fail = (problem) => new BenchCheckFailed([problem]);

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
  let recorded;
  try {
    await upstream.start();
    const env = cleanEnv({ TRACETAPE_DIR: path.join(tmpDir, 'store'), BENCH_UPSTREAM_URL: upstream.url, BENCH_CALLS: String(settings.calls) });

    const recording = await runNode([tracetapeCli, 'record', '--', process.execPath, script], env, { name: 'tracetape record' });
    const traceId = /recorded trace ([0-9a-f]{32})/.exec(recording.stderr)?.[1];
    if (recording.code !== 0 || !traceId) throw fail(`recording the script failed (exit ${recording.signal ?? recording.code}):\n${recording.stderr.trim().slice(0, 1000)}`);
    recorded = { stdout: recording.stdout, loopMs: loopMs(recording.stderr, 'the recorded run') };
    log(`replay speed: recorded ${settings.calls} calls in trace ${traceId} (capture loop ${recorded.loopMs.toFixed(0)} ms)`);

    for (let round = 0; round < settings.rounds; round++) {
      const measured = {};
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
          `live loop ${measured.live.loopMs.toFixed(0)} ms (process ${measured.live.wallMs.toFixed(0)} ms)`,
      );
    }
  } finally {
    await upstream.stop();
  }

  const rate = (ms) => (settings.calls * 1000) / ms;
  const of = (step, key) => median(rounds.map((round) => round[step][key]));
  const pairedRatio = (key) => median(rounds.map((round) => round.live[key] / round.replay[key]));
  const baseline = (value) => ({ label: 'live, no instrumentation', value, unit: 'calls/s' });
  return [
    {
      name: 'replay speed, call loop',
      value: rate(of('replay', 'loopMs')),
      unit: 'steps/s',
      baseline: baseline(rate(of('live', 'loopMs'))),
      ratio: pairedRatio('loopMs'),
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
  ];
}

async function replayOnce(traceId, env, expectedStdout, calls, reportFile) {
  const replay = await runNode([tracetapeCli, 'replay', traceId, '--report', reportFile, '--', process.execPath, script], env, { name: 'tracetape replay' });
  if (replay.code !== 0) throw fail(`the replay failed (exit ${replay.signal ?? replay.code}):\n${replay.stderr.trim().slice(0, 1500)}`);
  if (replay.stdout !== expectedStdout) throw fail(`the replay printed ${JSON.stringify(replay.stdout)}, the recording ${JSON.stringify(expectedStdout)}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (report.served.length !== calls || report.blocked.length > 0 || report.unconsumed.length > 0) {
    throw fail(`the replay served ${report.served.length} of ${calls} steps (${report.blocked.length} blocked, ${report.unconsumed.length} unconsumed)`);
  }
  return { loopMs: loopMs(replay.stderr, 'the replay'), wallMs: replay.wallMs };
}
