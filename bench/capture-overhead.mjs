// Figure: what tracetape capture costs a service, against the same service with no
// instrumentation, with plain OpenTelemetry, and with the register hook as it was before the
// recording log (bench/previous-hook.mjs: commit 7233e78, the app inserting into chDB itself),
// measured side by side.
//
// Variants run in fresh child processes, interleaved round by round (rotating which goes first),
// so slow drift of the machine hits every variant alike; rounds that other processes disturbed are
// replaced and left out. The per-round lines and the full breakdown (CPU, memory, start-up,
// flush) go to stderr; the suite's table gets the throughput and latency figures.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BenchCheckFailed } from './figures.mjs';
import { describeMachine } from './machine.mjs';
import { measureVariant } from './measure-variant.mjs';
import { preparePreviousHook, PREVIOUS_LABEL } from './previous-hook.mjs';
import { runToEnd } from './scale-child.mjs';
import { formatSummary, P99_TARGET, summarize } from './report.mjs';
import { ServiceProcess } from './service-process.mjs';
import { cleanEnv, tracetapeCli, upstreamScript, variants } from './variants.mjs';
import { verifyRecording } from './verify-recording.mjs';

const UPSTREAM_DELAY_MS = 20;
// Cores' worth of CPU used by processes outside the benchmark above which a round is disturbed:
// on 2 cores a test run next door moves p99 by more than the effect being measured.
const FOREIGN_LOAD_LIMIT = 0.15;

// Sized so the full run stays under ~3 minutes on 2 cores, extra rounds included: a measurement
// ends after `requests` or `measureMs`, whichever comes first (tracetape, CPU-bound at this load,
// ends on the time limit with ~900 samples, still 9 beyond its p99). Smoke mode only proves the
// harness works, so it never replaces a disturbed round.
export const CAPTURE_MODES = {
  full: { rounds: 4, extraRounds: 2, warmupRequests: 200, warmupMs: 5_000, requests: 1_500, measureMs: 7_000, pacedRequests: 600, pacedSettleMs: 3_000 },
  quick: { rounds: 1, extraRounds: 2, warmupRequests: 60, warmupMs: 2_000, requests: 300, measureMs: 2_500, pacedRequests: 300, pacedSettleMs: 2_000 },
  smoke: { rounds: 1, extraRounds: 0, warmupRequests: 20, warmupMs: 2_000, requests: 60, measureMs: 2_500, pacedRequests: 30, pacedSettleMs: 500 },
};

// The offered load at which latency is compared: well below what every variant sustains on this
// 2-core machine (plain OpenTelemetry serves ~225 req/s, tracetape ~130 req/s closed loop), as a
// service in production runs. Each request is 3 sequential calls, so ~4 requests are in flight.
export const PACED_RATE = 60;

const log = (text) => process.stderr.write(`${text}\n`);

/**
 * `overrides` takes the command line's --rounds, --requests and --concurrency. Throws
 * BenchCheckFailed when a request failed or tracetape did not record every call it made.
 */
export async function measure({ quick = false, smoke = false, tmpDir, overrides = {} }) {
  const mode = smoke ? 'smoke' : quick ? 'quick' : 'full';
  const settings = {
    mode,
    ...CAPTURE_MODES[mode],
    concurrency: 16,
    pacedRate: PACED_RATE,
    ...overrides,
    upstreamDelayMs: UPSTREAM_DELAY_MS,
    bodyBytes: 8 * 1024,
    callsPerRequest: 3,
    previousLabel: PREVIOUS_LABEL,
  };
  mkdirSync(tmpDir, { recursive: true });
  const tracetapeDir = path.join(tmpDir, 'store');
  // The register hook before the recording log, as a fourth variant: built once, cached.
  log(`capture overhead: preparing the previous hook (${PREVIOUS_LABEL}) ...`);
  const previousBuild = preparePreviousHook();
  if (previousBuild.error) log(`capture overhead: ${previousBuild.error}; measuring without it`);
  else log(`capture overhead: previous hook ${previousBuild.reused ? 'reused' : 'built'} at ${previousBuild.dir}`);
  const previous = previousBuild.error ? undefined : { register: previousBuild.register, cli: previousBuild.cli, tracetapeDir: path.join(tmpDir, 'store-previous'), label: PREVIOUS_LABEL };
  const upstream = new ServiceProcess('upstream', [upstreamScript], cleanEnv({ BENCH_UPSTREAM_DELAY_MS: String(UPSTREAM_DELAY_MS) }));
  const measurements = [];
  const problems = [];
  let all;
  let nextId = 0;
  let tracetapeAnswered = 0;
  let tracetapeProcesses = 0;
  let previousAnswered = 0;
  let previousProcesses = 0;
  let cleanRounds = 0;
  try {
    const upstreamUrl = `http://127.0.0.1:${await upstream.ready()}`;
    all = variants({ upstreamUrl, tracetapeDir, previous });
    // A round that other processes disturbed is replaced by an extra one (at most extraRounds),
    // and left out of the medians as long as at least one undisturbed round exists.
    for (let round = 0; cleanRounds < settings.rounds && round < settings.rounds + settings.extraRounds; round++) {
      // Rotate the order so no variant always runs first (cold caches) or last (warm machine).
      const order = all.map((_, i) => all[(i + round) % all.length]);
      let disturbed = false;
      for (const variant of order) {
        const m = await measureVariant(variant, settings, nextId, upstream);
        nextId += m.idsUsed;
        measurements.push({ round, ...m });
        if (variant.id === 'tracetape') {
          tracetapeAnswered += m.answered;
          tracetapeProcesses++;
        }
        if (variant.id === 'previous') {
          previousAnswered += m.answered;
          previousProcesses++;
        }
        log(
          `capture overhead, round ${round + 1} ${variant.id.padEnd(9)} ${m.reqPerSec.toFixed(1).padStart(6)} req/s  ` +
            `p50 ${m.p50.toFixed(1).padStart(6)} ms  p99 ${m.p99.toFixed(1).padStart(6)} ms  ` +
            `at ${settings.pacedRate}/s p50 ${m.paced.p50.toFixed(1)} p99 ${m.paced.p99.toFixed(1)} ms  ` +
            `CPU ${m.cpuMsPerRequest.toFixed(2)} ms/req (JS ${m.mainThreadCpuMsPerRequest.toFixed(2)})  RSS ${m.peakRssMb.toFixed(0)} MB  ` +
            `other load ${m.foreignCores.toFixed(2)} cores  n=${m.requests}` +
            (m.timedOut ? ' (time limit)' : '') +
            (m.errors ? `  ${m.errors} errors, first: ${m.firstError}` : ''),
        );
        if (m.foreignCores > FOREIGN_LOAD_LIMIT) disturbed = true;
        if (m.errors > 0) problems.push(`${variant.id}, round ${round + 1}: ${m.errors} failed requests (first: ${m.firstError})`);
        // Died by SIGTERM is the expected end for every variant (tracetape re-raises it after flushing).
        if (m.exit !== 'SIGTERM') problems.push(`${variant.id}, round ${round + 1}: child ended with ${m.exit} instead of SIGTERM`);
        const noise = m.stderr.trim();
        if (noise) problems.push(`${variant.id}, round ${round + 1}: stderr: ${noise.slice(0, 2000)}`);
      }
      for (const m of measurements) if (m.round === round) m.disturbed = disturbed;
      if (disturbed) log(`capture overhead, round ${round + 1} was disturbed by other processes (> ${FOREIGN_LOAD_LIMIT} cores); it does not count`);
      else cleanRounds++;
    }
  } finally {
    upstream.kill();
  }
  if (cleanRounds < settings.rounds) {
    problems.push(
      `only ${cleanRounds} of ${settings.rounds} rounds ran undisturbed by other processes` +
        (cleanRounds === 0 ? '; the medians include disturbed rounds and are skewed' : ''),
    );
  }

  // The current hook's processes stored nothing: their log is moved into the store afterwards, by
  // `tracetape ingest`, outside the app. Its CPU is reported beside the app's.
  log('capture overhead: moving the tracetape variant\'s recording log into the store (tracetape ingest) ...');
  const ingest = await timedIngest(tracetapeDir);
  if (ingest.error) problems.push(`tracetape ingest: ${ingest.error}`);
  log('capture overhead: checking what the tracetape variant recorded (tracetape traces --json) ...');
  // One trace per answered request, plus each process's own run trace.
  const recording = await verifyRecording(tracetapeDir, tracetapeAnswered + tracetapeProcesses);
  const expectedCalls = tracetapeAnswered * settings.callsPerRequest;
  const failures = [];
  if (recording.recordedCalls < expectedCalls) {
    failures.push(`tracetape recorded ${recording.recordedCalls} of ${expectedCalls} calls${recording.error ? ` (tracetape traces: ${recording.error})` : ''}`);
  }
  if (recording.captureErrors > 0) failures.push(`${recording.captureErrors} spans carry tracetape.capture.error`);
  if (recording.incompleteResponses > 0) failures.push(`${recording.incompleteResponses} recorded responses are incomplete`);
  let previousRecording;
  if (previous) {
    log(`capture overhead: checking what the ${PREVIOUS_LABEL} variant recorded (its own CLI) ...`);
    previousRecording = await verifyRecording(previous.tracetapeDir, previousAnswered + previousProcesses, previous.cli);
    const expected = previousAnswered * settings.callsPerRequest;
    if (previousRecording.recordedCalls < expected) {
      failures.push(`${PREVIOUS_LABEL} recorded ${previousRecording.recordedCalls} of ${expected} calls${previousRecording.error ? ` (tracetape traces: ${previousRecording.error})` : ''}`);
    }
    if (previousRecording.captureErrors > 0) failures.push(`${PREVIOUS_LABEL}: ${previousRecording.captureErrors} spans carry tracetape.capture.error`);
    previousRecording.expectedCalls = expected;
  }
  const failedRequests = measurements.reduce((sum, m) => sum + m.errors, 0);
  if (failedRequests > 0) failures.push(`${failedRequests} requests to the service failed`);

  const counted = cleanRounds > 0 ? measurements.filter((m) => !m.disturbed) : measurements;
  const summary = {
    ...summarize({ machine: describeMachine(), settings, measurements: counted, recording, expectedCalls }),
    roundsRun: measurements.length / all.length,
    roundsCounted: counted.length / all.length,
  };
  log(`\n${formatSummary(summary)}`);
  if (problems.length) log(`capture overhead problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  if (failures.length) throw new BenchCheckFailed([...failures, ...problems]);
  const ingestCpuMsPerRequest = ingest.cpuMs === undefined ? NaN : ingest.cpuMs / Math.max(1, tracetapeAnswered);
  return [
    ...figures(summary, cleanRounds, problems),
    ...previousFigures(summary, previousBuild, previousRecording, ingestCpuMsPerRequest),
  ];
}

const TIME = '/usr/bin/time';

/** Runs `tracetape ingest` on the store; CPU (user + system) from /usr/bin/time when present. */
async function timedIngest(tracetapeDir) {
  const timed = existsSync(TIME);
  const timeFile = path.join(tracetapeDir, '..', 'ingest.time');
  const args = [process.execPath, tracetapeCli, 'ingest'];
  const result = await runToEnd(timed ? TIME : args[0], timed ? ['-f', '%U %S', '-o', timeFile, ...args] : args.slice(1), { env: cleanEnv({ TRACETAPE_DIR: tracetapeDir }) });
  if (result.code !== 0) return { error: `exited ${result.signal ?? result.code}: ${result.stderr.trim().slice(-500)}` };
  if (!timed) return {};
  const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { cpuMs: (user + system) * 1000 };
}

/** The previous hook beside this one: CPU per request and p99, or why it could not be measured. */
function previousFigures({ variants: v, ratios }, build, recording, ingestCpuMsPerRequest) {
  if (build.error || !v.previous) {
    return [{ name: `capture: ${PREVIOUS_LABEL} not available`, value: NaN, unit: '', detail: build.error ?? 'the previous hook was not measured' }];
  }
  const vsOtel = ratios.previousVsOtel;
  const vsPrevious = ratios.tracetapeVsPrevious;
  const otel = (value, unit) => ({ label: 'plain OTel', value, unit });
  const calls = `${recording.recordedCalls} of ${recording.expectedCalls} calls recorded into its in-process chDB`;
  return [
    {
      name: `capture: CPU per request, ${PREVIOUS_LABEL}`,
      value: v.previous.cpuMsPerRequest,
      unit: 'ms',
      baseline: otel(v.otel.cpuMsPerRequest, 'ms'),
      ratio: vsOtel.cpuPerRequest,
      detail:
        `same load, rounds and interleaving as the other variants, all threads of the service process (the app inserted into chDB itself); ` +
        `JS thread ${v.previous.mainThreadCpuMsPerRequest.toFixed(2)} ms; this hook: ${v.tracetape.cpuMsPerRequest.toFixed(2)} ms, ` +
        `×${vsPrevious.cpuPerRequest.toFixed(2)} of the previous one (paired per round), JS thread ×${vsPrevious.mainThreadCpuPerRequest.toFixed(2)}; ` +
        `this hook's app stores nothing: \`tracetape ingest\` afterwards took ${Number.isFinite(ingestCpuMsPerRequest) ? `${ingestCpuMsPerRequest.toFixed(2)} ms` : 'an unmeasured amount'} of CPU per request, in its own process; ${calls}`,
    },
    {
      name: `capture: latency p99 at ${PACED_RATE} req/s, ${PREVIOUS_LABEL}`,
      value: v.previous.pacedP99Ms,
      unit: 'ms',
      baseline: otel(v.otel.pacedP99Ms, 'ms'),
      ratio: vsOtel.pacedP99,
      detail:
        `open loop; this hook: ${v.tracetape.pacedP99Ms.toFixed(1)} ms, ×${vsPrevious.pacedP99.toFixed(2)} of the previous one (paired per round); ` +
        `saturated: previous ${v.previous.reqPerSec.toFixed(1)} req/s, p99 ${v.previous.p99Ms.toFixed(1)} ms; this hook ${v.tracetape.reqPerSec.toFixed(1)} req/s, p99 ${v.tracetape.p99Ms.toFixed(1)} ms`,
    },
  ];
}

function figures({ variants: v, ratios, roundsCounted, recording, settings }, cleanRounds, problems) {
  const vsOtel = ratios.tracetapeVsOtel;
  const otel = (value, unit) => ({ label: 'plain OTel', value, unit });
  const none = (value, unit) => `no instrumentation ${value.toFixed(1)} ${unit}`;
  return [
    {
      name: 'capture: throughput',
      value: v.tracetape.reqPerSec,
      unit: 'req/s',
      baseline: otel(v.otel.reqPerSec, 'req/s'),
      ratio: vsOtel.reqPerSec,
      detail:
        `${none(v.none.reqPerSec, 'req/s')}; ${roundsCounted} round(s)${cleanRounds === 0 ? ' all disturbed by other processes (skewed)' : ' undisturbed'}, medians; ` +
        `ratios are per-round ratios, then their median; ` +
        `${recording.recordedCalls} of ${recording.expectedCalls} calls recorded` +
        (problems.length ? `; ${problems.length} warning(s), see stderr` : ''),
    },
    {
      name: `capture: latency p50 at ${settings.pacedRate} req/s`,
      value: v.tracetape.pacedP50Ms,
      unit: 'ms',
      baseline: otel(v.otel.pacedP50Ms, 'ms'),
      ratio: vsOtel.pacedP50,
      detail: `open loop, the same offered load for every variant; ${none(v.none.pacedP50Ms, 'ms')}`,
    },
    {
      name: `capture: latency p99 at ${settings.pacedRate} req/s`,
      value: v.tracetape.pacedP99Ms,
      unit: 'ms',
      baseline: otel(v.otel.pacedP99Ms, 'ms'),
      ratio: vsOtel.pacedP99,
      target: `≤ ×${P99_TARGET.toFixed(2)} of plain OTel`,
      met: recording.recordedCalls > 0 && vsOtel.pacedP99 <= P99_TARGET,
      detail: `open loop; ${none(v.none.pacedP99Ms, 'ms')}`,
    },
    {
      name: 'capture: latency p50, saturated',
      value: v.tracetape.p50Ms,
      unit: 'ms',
      baseline: otel(v.otel.p50Ms, 'ms'),
      ratio: vsOtel.p50,
      detail: `closed loop, ${settings.concurrency} connections: each variant at its own throughput; ${none(v.none.p50Ms, 'ms')}`,
    },
    {
      name: 'capture: latency p99, saturated',
      value: v.tracetape.p99Ms,
      unit: 'ms',
      baseline: otel(v.otel.p99Ms, 'ms'),
      ratio: vsOtel.p99,
      detail: `closed loop; ${none(v.none.p99Ms, 'ms')}`,
    },
    {
      name: 'capture: CPU per request',
      value: v.tracetape.cpuMsPerRequest,
      unit: 'ms',
      baseline: otel(v.otel.cpuMsPerRequest, 'ms'),
      ratio: vsOtel.cpuPerRequest,
      detail: `all threads of the service process (this hook's app only appends to the recording log; storing it is \`tracetape ingest\`'s work, see the next figure); JS thread ${v.tracetape.mainThreadCpuMsPerRequest.toFixed(2)} ms (plain OTel ${v.otel.mainThreadCpuMsPerRequest.toFixed(2)} ms); ${none(v.none.cpuMsPerRequest, 'ms')}`,
    },
  ];
}
