// `npm run bench`: what tracetape capture costs a service, against the same service with no
// instrumentation and with plain OpenTelemetry, measured side by side in one run.
//
//   node bench/run.mjs [--quick] [--json] [--rounds N] [--requests N] [--concurrency N]
//
// Variants run in fresh child processes, interleaved round by round (rotating which goes first),
// so slow drift of the machine hits all three alike; rounds that other processes disturbed are
// replaced and left out. Progress goes to stderr; the table (or, with --json, one JSON document)
// to stdout. Exits 1 if any request failed or tracetape recorded nothing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.mjs';
import { measureVariant } from './measure-variant.mjs';
import { formatSummary, summarize } from './report.mjs';
import { liveChildren, ServiceProcess } from './service-process.mjs';
import { cleanEnv, tracetapeCli, tracetapeRegister, upstreamScript, variants } from './variants.mjs';
import { verifyRecording } from './verify-recording.mjs';

const UPSTREAM_DELAY_MS = 20;
// Cores' worth of CPU used by processes outside the benchmark above which a round is disturbed:
// on 2 cores a test run next door moves p99 by more than the effect being measured.
const FOREIGN_LOAD_LIMIT = 0.15;
const EXTRA_ROUNDS = 2;

// Sized so the default run stays under ~3 minutes on 2 cores, extra rounds included: a
// measurement ends after `requests` or `measureMs`, whichever comes first (tracetape, CPU-bound
// at this load, ends on the time limit with ~900 samples, still 9 beyond its p99).
const MODES = {
  default: { rounds: 4, warmupRequests: 200, warmupMs: 5_000, requests: 1_500, measureMs: 7_000 },
  quick: { rounds: 1, warmupRequests: 60, warmupMs: 2_000, requests: 300, measureMs: 2_500 },
};

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    requests: { type: 'string' },
    concurrency: { type: 'string' },
  },
  strict: true,
});

function positive(name, fallback) {
  if (flags[name] === undefined) return fallback;
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number, not "${flags[name]}"`);
  return value;
}

const mode = MODES[flags.quick ? 'quick' : 'default'];
const settings = {
  mode: flags.quick ? 'quick' : 'default',
  ...mode,
  rounds: positive('rounds', mode.rounds),
  requests: positive('requests', mode.requests),
  concurrency: positive('concurrency', 16),
  upstreamDelayMs: UPSTREAM_DELAY_MS,
  bodyBytes: 8 * 1024,
  callsPerRequest: 3,
};

const log = (text) => process.stderr.write(`${text}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tracetape-bench-'));
let cleanedUp = false;
function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of liveChildren()) child.kill();
  rmSync(tmp, { recursive: true, force: true });
}
// Ctrl-C must not leave services listening or a store directory behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
process.once('exit', cleanUp);

async function main() {
  // tracetape needs Node >= 22.15 (its interceptors use Promise.withResolvers): on an older node
  // every fetch of the service fails, and the numbers would describe a broken service.
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new Error(`Node ${process.version} is too old for tracetape (needs >= 22.15); put node_modules/.bin first on PATH.`);
  }
  for (const [what, file] of [['register hook', tracetapeRegister], ['CLI', tracetapeCli]]) {
    if (!existsSync(file)) throw new Error(`tracetape's ${what} is not built (${path.relative(process.cwd(), file)}); run \`npm run build\` or use \`npm run bench\`.`);
  }
  const tracetapeDir = path.join(tmp, 'store');
  const upstream = new ServiceProcess('upstream', [upstreamScript], cleanEnv({ BENCH_UPSTREAM_DELAY_MS: String(UPSTREAM_DELAY_MS) }));
  const upstreamUrl = `http://127.0.0.1:${await upstream.ready()}`;
  const all = variants({ upstreamUrl, tracetapeDir });

  const measurements = [];
  const problems = [];
  let nextId = 0;
  let tracetapeAnswered = 0;
  let tracetapeProcesses = 0;
  let cleanRounds = 0;
  try {
    // A round that other processes disturbed is replaced by an extra one (at most EXTRA_ROUNDS),
    // and left out of the medians as long as at least one undisturbed round exists.
    for (let round = 0; cleanRounds < settings.rounds && round < settings.rounds + EXTRA_ROUNDS; round++) {
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
        log(
          `round ${round + 1} ${variant.id.padEnd(9)} ${m.reqPerSec.toFixed(1).padStart(6)} req/s  ` +
            `p50 ${m.p50.toFixed(1).padStart(6)} ms  p99 ${m.p99.toFixed(1).padStart(6)} ms  ` +
            `CPU ${m.cpuMsPerRequest.toFixed(2)} ms/req (JS ${m.mainThreadCpuMsPerRequest.toFixed(2)})  RSS ${m.peakRssMb.toFixed(0)} MB  ` +
            `other load ${m.foreignCores.toFixed(2)} cores  n=${m.requests}` +
            (m.timedOut ? ' (time limit)' : '') +
            (m.errors ? `  ${m.errors} errors, first: ${m.firstError}` : ''),
        );
        if (m.foreignCores > FOREIGN_LOAD_LIMIT) disturbed = true;
        if (m.errors > 0) problems.push(`${variant.id}, round ${round + 1}: ${m.errors} failed requests (first: ${m.firstError})`);
        // Died by SIGTERM is the expected end for all three (tracetape re-raises it after flushing).
        if (m.exit !== 'SIGTERM') problems.push(`${variant.id}, round ${round + 1}: child ended with ${m.exit} instead of SIGTERM`);
        const noise = m.stderr.trim();
        if (noise) problems.push(`${variant.id}, round ${round + 1}: stderr: ${noise.slice(0, 2000)}`);
      }
      for (const m of measurements) if (m.round === round) m.disturbed = disturbed;
      if (disturbed) log(`round ${round + 1} was disturbed by other processes (> ${FOREIGN_LOAD_LIMIT} cores); it does not count`);
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

  log('checking what the tracetape variant recorded (tracetape traces --json) ...');
  // One trace per answered request, plus each process's own run trace.
  const recording = await verifyRecording(tracetapeDir, tracetapeAnswered + tracetapeProcesses);
  const expectedCalls = tracetapeAnswered * settings.callsPerRequest;
  if (recording.recordedCalls === 0) {
    problems.push(`the tracetape variant recorded no calls at all${recording.error ? ` (tracetape traces: ${recording.error})` : ''}`);
  } else if (recording.recordedCalls < expectedCalls) {
    problems.push(`tracetape recorded ${recording.recordedCalls} of ${expectedCalls} calls: ${expectedCalls - recording.recordedCalls} missing`);
  }
  if (recording.captureErrors > 0) problems.push(`${recording.captureErrors} spans carry tracetape.capture.error`);
  if (recording.incompleteResponses > 0) problems.push(`${recording.incompleteResponses} recorded responses are incomplete`);

  const counted = cleanRounds > 0 ? measurements.filter((m) => !m.disturbed) : measurements;
  const summary = {
    ...summarize({ machine: describeMachine(), settings, measurements: counted, recording, expectedCalls }),
    roundsRun: measurements.length / all.length,
    roundsCounted: counted.length / all.length,
    allRounds: measurements.map(({ stderr, ...rest }) => rest),
    problems,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(`${formatSummary(summary)}\n`);
    if (problems.length) process.stdout.write(`\nproblems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }

  const failed = recording.recordedCalls === 0 || measurements.some((m) => m.errors > 0);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    cleanUp();
    process.exitCode = code;
  },
  (error) => {
    cleanUp();
    log(`bench failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
