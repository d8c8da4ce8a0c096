// Figure: what tracetape capture costs a service, against the same service with no
// instrumentation, with plain OpenTelemetry, and with two peer recorders on top of OpenTelemetry
// (nock's recorder with full bodies; @mswjs/interceptors copying every body), measured side by
// side; tracetape runs with its default capture and with the socket-level interceptor.
//
// Variants run in fresh child processes, interleaved round by round (rotating which goes first),
// so slow drift of the machine hits every variant alike; rounds that other processes disturbed are
// replaced and left out. The per-round lines and the full breakdown (CPU, memory, start-up,
// flush) go to stderr; the suite's table gets the throughput and latency figures.
//
// With `against` (run.mjs --against COMMIT), tracetape built from that commit runs as one more
// variant in the same rounds, and the peer recorders and the interceptor variant stay out: an A/B
// of a change, with no instrumentation and plain OpenTelemetry kept for the usual ratios.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BenchCheckFailed } from './figures.mjs';
import { describeMachine } from './machine.mjs';
import { measureVariant } from './measure-variant.mjs';
import { preparePreviousHook } from './previous-hook.mjs';
import { runToEnd } from './scale-child.mjs';
import { CPU_TARGET, formatSummary, P99_TARGET, PEERS, summarize, THROUGHPUT_TARGET } from './report.mjs';
import { ServiceProcess } from './service-process.mjs';
import { againstVariant, cleanEnv, tracetapeCli, upstreamScript, variants } from './variants.mjs';
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

// The variants that record, each checked afterwards through its own build's CLI.
const RECORDERS = ['tracetape', 'tracetapeInterceptor', 'against'];
// What an A/B against another commit keeps of the usual variants.
const AGAINST_KEEPS = ['none', 'otel', 'tracetape'];

/**
 * `overrides` takes the command line's --rounds, --requests, --concurrency, --against and
 * --node-flag (`nodeFlags`). Throws BenchCheckFailed when a request failed or tracetape did not
 * record every call it made.
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
  };
  mkdirSync(tmpDir, { recursive: true });
  // Each tracetape variant records into its own store, checked afterwards.
  const storeOf = (id) => path.join(tmpDir, `store-${id}`);
  let build;
  if (settings.against) {
    log(`capture overhead: building tracetape at ${settings.against} for --against (bench/previous-hook.mjs) ...`);
    build = preparePreviousHook(settings.against);
    if (build.error) throw new BenchCheckFailed([`--against ${settings.against}: ${build.error}`]);
  }
  const cliOf = (id) => (id === 'against' ? build.cli : tracetapeCli);
  const upstream = new ServiceProcess('upstream', [upstreamScript], cleanEnv({ BENCH_UPSTREAM_DELAY_MS: String(UPSTREAM_DELAY_MS) }));
  const measurements = [];
  const problems = [];
  let all;
  let nextId = 0;
  const answered = Object.fromEntries(RECORDERS.map((id) => [id, { requests: 0, processes: 0 }]));
  let cleanRounds = 0;
  try {
    const upstreamUrl = `http://127.0.0.1:${await upstream.ready()}`;
    const nodeFlags = settings.nodeFlags ?? [];
    all = variants({ upstreamUrl, tracetapeDir: storeOf, nodeFlags });
    if (build) all = [...all.filter((v) => AGAINST_KEEPS.includes(v.id)), againstVariant({ upstreamUrl, tracetapeDir: storeOf, build, nodeFlags })];
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
        if (answered[variant.id]) {
          answered[variant.id].requests += m.answered;
          answered[variant.id].processes++;
        }
        log(
          `capture overhead, round ${round + 1} ${variant.id.padEnd(20)} ${m.reqPerSec.toFixed(1).padStart(6)} req/s  ` +
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

  // The apps stored nothing: each tracetape variant's log is moved into its store afterwards, by
  // `tracetape ingest`, outside the app. Its CPU is reported beside the app's.
  const failures = [];
  const recordings = {};
  let ingest;
  for (const id of RECORDERS.filter((id) => all.some((v) => v.id === id))) {
    log(`capture overhead: moving the ${id} variant's recording log into its store (tracetape ingest) ...`);
    const ingested = await timedIngest(storeOf(id), cliOf(id));
    if (ingested.error) problems.push(`tracetape ingest (${id}): ${ingested.error}`);
    if (id === 'tracetape') ingest = ingested;
    log(`capture overhead: checking what the ${id} variant recorded (tracetape traces --json) ...`);
    // One trace per answered request, plus each process's own run trace.
    const recording = await verifyRecording(storeOf(id), answered[id].requests + answered[id].processes, cliOf(id));
    const expectedCalls = answered[id].requests * settings.callsPerRequest;
    recording.expectedCalls = expectedCalls;
    recordings[id] = recording;
    if (recording.recordedCalls < expectedCalls) {
      failures.push(`${id} recorded ${recording.recordedCalls} of ${expectedCalls} calls${recording.error ? ` (tracetape traces: ${recording.error})` : ''}`);
    }
    if (recording.captureErrors > 0) failures.push(`${id}: ${recording.captureErrors} spans carry tracetape.capture.error`);
    if (recording.incompleteResponses > 0) failures.push(`${id}: ${recording.incompleteResponses} recorded responses are incomplete`);
  }
  const recording = recordings.tracetape;
  const expectedCalls = recording.expectedCalls;
  const failedRequests = measurements.reduce((sum, m) => sum + m.errors, 0);
  if (failedRequests > 0) failures.push(`${failedRequests} requests to the service failed`);

  const counted = cleanRounds > 0 ? measurements.filter((m) => !m.disturbed) : measurements;
  const summary = {
    ...summarize({ machine: describeMachine(), settings, labels: Object.fromEntries(all.map((v) => [v.id, v.label])), measurements: counted, recording, expectedCalls }),
    roundsRun: measurements.length / all.length,
    roundsCounted: counted.length / all.length,
  };
  log(`\n${formatSummary(summary)}`);
  if (problems.length) log(`capture overhead problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  if (failures.length) throw new BenchCheckFailed([...failures, ...problems]);
  const ingestCpuMsPerRequest = ingest.cpuMs === undefined ? NaN : ingest.cpuMs / Math.max(1, answered.tracetape.requests);
  const measured = [...figures(summary, cleanRounds, problems, ingestCpuMsPerRequest), ...peerFigures(summary, recordings), ...againstFigures(summary, recordings, build?.commit)];
  // A figure taken with flags is not the default's: each says so where it is printed.
  return settings.nodeFlags?.length ? measured.map((figure) => ({ ...figure, detail: `${figure.detail}; every service process started with ${settings.nodeFlags.join(' ')}` })) : measured;
}

const TIME = '/usr/bin/time';

/** Runs `tracetape ingest` on the store; CPU (user + system) from /usr/bin/time when present. */
async function timedIngest(tracetapeDir, cliPath) {
  const timed = existsSync(TIME);
  const timeFile = path.join(tracetapeDir, '..', 'ingest.time');
  const args = [process.execPath, cliPath, 'ingest'];
  const result = await runToEnd(timed ? TIME : args[0], timed ? ['-f', '%U %S', '-o', timeFile, ...args] : args.slice(1), { env: cleanEnv({ TRACETAPE_DIR: tracetapeDir }) });
  if (result.code !== 0) return { error: `exited ${result.signal ?? result.code}: ${result.stderr.trim().slice(-500)}` };
  if (!timed) return {};
  const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { cpuMs: (user + system) * 1000 };
}

/** Each other recorder beside plain OpenTelemetry, and whether tracetape beats both peers on p99 and CPU. */
function peerFigures({ variants: v, ratios }, recordings) {
  const otel = (value, unit) => ({ label: 'plain OTel', value, unit });
  const rows = [];
  for (const id of [...PEERS, 'tracetapeInterceptor']) {
    if (!v[id]) continue;
    const vsOtel = ratios[`${id}VsOtel`];
    const recorded = recordings[id] ? `; ${recordings[id].recordedCalls} of ${recordings[id].expectedCalls} calls recorded` : '';
    rows.push(
      { name: `capture: latency p99 at ${PACED_RATE} req/s, ${v[id].label}`, value: v[id].pacedP99Ms, unit: 'ms', baseline: otel(v.otel.pacedP99Ms, 'ms'), ratio: vsOtel.pacedP99, detail: `open loop, same load, rounds and interleaving${recorded}` },
      {
        name: `capture: CPU per request, ${v[id].label}`,
        value: v[id].cpuMsPerRequest,
        unit: 'ms',
        baseline: otel(v.otel.cpuMsPerRequest, 'ms'),
        ratio: vsOtel.cpuPerRequest,
        detail: `all threads; JS thread ${v[id].mainThreadCpuMsPerRequest.toFixed(2)} ms; saturated ${v[id].reqPerSec.toFixed(1)} req/s (×${ratios[`${id}VsOtel`].reqPerSec.toFixed(2)} of plain OTel)`,
      },
    );
  }
  const versus = PEERS.filter((peer) => ratios[`tracetapeVs:${peer}`]).map((peer) => [peer, ratios[`tracetapeVs:${peer}`]]);
  if (versus.length > 0) {
    const worst = Math.max(...versus.flatMap(([, r]) => [r.pacedP99, r.cpuPerRequest]));
    rows.push({
      name: 'capture: tracetape against the peer recorders (p99 and CPU)',
      value: worst,
      unit: '×',
      target: '< ×1.00 of each peer, both',
      met: worst < 1,
      detail: versus.map(([peer, r]) => `vs ${v[peer].label}: p99 at ${PACED_RATE} req/s ×${r.pacedP99.toFixed(2)}, CPU ×${r.cpuPerRequest.toFixed(2)}`).join('; ') + ' (paired per round; the value is the worst of the four)',
    });
  }
  return rows;
}

/** With --against: the working tree's tracetape against the other commit's, paired per round. */
function againstFigures({ variants: v, ratios }, recordings, commit) {
  const r = ratios['tracetapeVs:against'];
  if (!r) return [];
  const them = (value, unit) => ({ label: v.against.label, value, unit });
  const recorded = `${recordings.against.recordedCalls} of ${recordings.against.expectedCalls} calls recorded at ${commit}`;
  return [
    { name: `capture: CPU per request, against ${v.against.label}`, value: v.tracetape.cpuMsPerRequest, unit: 'ms', baseline: them(v.against.cpuMsPerRequest, 'ms'), ratio: r.cpuPerRequest, detail: `paired per round; JS thread ×${r.mainThreadCpuPerRequest.toFixed(2)}; ${recorded}` },
    { name: `capture: latency p99 at ${PACED_RATE} req/s, against ${v.against.label}`, value: v.tracetape.pacedP99Ms, unit: 'ms', baseline: them(v.against.pacedP99Ms, 'ms'), ratio: r.pacedP99, detail: 'open loop, same load, paired per round' },
    { name: `capture: throughput, against ${v.against.label}`, value: v.tracetape.reqPerSec, unit: 'req/s', baseline: them(v.against.reqPerSec, 'req/s'), ratio: r.reqPerSec, detail: 'closed loop, paired per round' },
  ];
}

function figures({ variants: v, ratios, roundsCounted, recording, settings }, cleanRounds, problems, ingestCpuMsPerRequest) {
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
      target: `≥ ×${THROUGHPUT_TARGET.toFixed(2)} of plain OTel`,
      met: recording.recordedCalls > 0 && vsOtel.reqPerSec >= THROUGHPUT_TARGET,
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
      target: `≤ ×${CPU_TARGET.toFixed(2)} of plain OTel`,
      met: recording.recordedCalls > 0 && vsOtel.cpuPerRequest <= CPU_TARGET,
      detail: `all threads of the service process (the app only appends to the recording log; \`tracetape ingest\` then took ${Number.isFinite(ingestCpuMsPerRequest) ? `${ingestCpuMsPerRequest.toFixed(2)} ms` : 'an unmeasured amount'} per request in its own process); JS thread ${v.tracetape.mainThreadCpuMsPerRequest.toFixed(2)} ms (plain OTel ${v.otel.mainThreadCpuMsPerRequest.toFixed(2)} ms); ${none(v.none.cpuMsPerRequest, 'ms')}`,
    },
  ];
}
