// Figure: how long a streamed (SSE) response takes to show its first byte to the app, with and
// without tracetape capture. Capture must observe a stream without holding it, so the first event
// should reach the app as soon as it would without capture, not when the stream ends.
//
// Each round runs a fresh client process per variant (order rotated round by round), each fetching
// the stream many times in a row; then the store must hold every stream, recorded as chunks.
//
// The target is judged on the streams right after a short warm-up: what the first calls of a
// fresh process see (a short agent run makes a few dozen). Then, in processes of their own (so the
// judged rounds run exactly as before), `warm` streams are measured after as many unmeasured ones
// as a judged process makes: on those V8 has optimised capture's code, and what capture adds there
// is what it adds for good (BENCHMARKS.md, session 22).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { runNode } from './node-run.mjs';
import { ServiceProcess } from './service-process.mjs';
import { percentile } from './stats.mjs';
import { cleanEnv, plainOtelRegister, tracetapeCli, tracetapeRegister } from './variants.mjs';
import { verifyRecording } from './verify-recording.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const EVENTS = 20;
const INTERVAL_MS = 5;
const SETTINGS = {
  full: { rounds: 4, streams: 50, warmup: 5, warmRounds: 2, warm: 50 },
  quick: { rounds: 2, streams: 30, warmup: 3, warmRounds: 1, warm: 30 },
  smoke: { rounds: 1, streams: 6, warmup: 2, warmRounds: 1, warm: 6 },
};

// The issue's target: the first byte at most this much later than without capture, at p50.
const P50_TARGET_MS = 0.5;

const log = (text) => process.stderr.write(`${text}\n`);

function clientVariants(url, tracetapeDir, { streams, warmup }) {
  const common = { BENCH_SSE_URL: url, BENCH_SSE_STREAMS: String(streams), BENCH_SSE_WARMUP: String(warmup) };
  const client = path.join(here, 'sse-client.mjs');
  return [
    { id: 'none', args: [client], env: cleanEnv(common) },
    // Plain OpenTelemetry: what instrumenting fetch costs the first byte before any capture.
    { id: 'otel', args: ['--import', pathToFileURL(plainOtelRegister).href, client], env: cleanEnv(common) },
    {
      id: 'tracetape',
      args: ['--import', pathToFileURL(tracetapeRegister).href, client],
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: tracetapeDir }),
    },
  ];
}

async function runClient(variant, round, problems) {
  const result = await runNode(variant.args, variant.env, { name: `SSE client (${variant.id})` });
  if (result.code !== 0) {
    throw new BenchCheckFailed([`${variant.id} client, round ${round + 1}, exited with ${result.signal ?? result.code}: ${result.stderr.trim().slice(0, 1000)}`]);
  }
  if (result.stderr.trim()) problems.push(`${variant.id} client, round ${round + 1}: stderr: ${result.stderr.trim().slice(0, 500)}`);
  const samples = JSON.parse(result.stdout);
  // EVENTS data events plus the closing [DONE].
  const cut = samples.filter((s) => s.events !== EVENTS + 1);
  if (cut.length) {
    throw new BenchCheckFailed([`${variant.id} client: ${cut.length} streams ended after ${cut[0].events} of ${EVENTS + 1} events`]);
  }
  return samples;
}

async function tracetapeCliJson(tracetapeDir, args) {
  const result = await runNode([tracetapeCli, ...args], cleanEnv({ TRACETAPE_DIR: tracetapeDir }), { name: `tracetape ${args[0]}` });
  if (result.code !== 0) throw new BenchCheckFailed([`tracetape ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 500)}`]);
  return result.stdout;
}

/** The store must hold every stream the capture client fetched, complete and kept as chunks. */
async function verifyStreams(tracetapeDir, settings) {
  const expectedCalls = settings.rounds * (settings.warmup + settings.streams) + settings.warmRounds * (settings.warmup + settings.streams + settings.warm);
  let recording;
  try {
    recording = await verifyRecording(tracetapeDir, settings.rounds);
  } catch (error) {
    // A client that exported nothing leaves a store without tables, which the query refuses.
    const reason = String(error.stderr || error.message).trim().split('\n').find((line) => line.startsWith('tracetape:')) ?? error.message;
    throw new BenchCheckFailed([`the capture client's recording could not be read: ${reason.slice(0, 500)}`]);
  }
  const problems = [];
  if (recording.recordedCalls !== expectedCalls) {
    problems.push(`recorded ${recording.recordedCalls} of ${expectedCalls} streams${recording.error ? ` (tracetape traces: ${recording.error})` : ''}`);
  }
  if (recording.captureErrors > 0) problems.push(`${recording.captureErrors} spans carry tracetape.capture.error`);
  if (recording.incompleteResponses > 0) problems.push(`${recording.incompleteResponses} recorded streams are incomplete`);
  if (problems.length) throw new BenchCheckFailed(problems);

  const [trace] = (await tracetapeCliJson(tracetapeDir, ['traces', '--json', '--limit', '1'])).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const tape = JSON.parse(await tracetapeCliJson(tracetapeDir, ['tape', trace.traceId, '--json']));
  const chunks = tape.entries[0]?.response?.chunks?.length ?? 0;
  if (chunks < 2) throw new BenchCheckFailed([`the recorded stream holds ${chunks} chunk(s): it was not recorded as a stream`]);
  return { ...recording, expectedCalls, chunksInFirstStream: chunks };
}

const pct = (samples, key, p) => percentile(Float64Array.from(samples.map((s) => s[key])).sort(), p);

export async function measure({ quick = false, smoke = false, tmpDir }) {
  const mode = smoke ? 'smoke' : quick ? 'quick' : 'full';
  const settings = SETTINGS[mode];
  const tracetapeDir = path.join(tmpDir, 'store');
  mkdirSync(tmpDir, { recursive: true });
  const upstream = new ServiceProcess('SSE upstream', [path.join(here, 'sse-upstream.mjs')], cleanEnv({ BENCH_SSE_EVENTS: String(EVENTS), BENCH_SSE_INTERVAL_MS: String(INTERVAL_MS) }));
  // Per variant: the streams right after the warm-up (judged), and those of the warm rounds.
  const samples = { none: [], otel: [], tracetape: [] };
  const warmSamples = { none: [], otel: [], tracetape: [] };
  const problems = [];
  try {
    const url = `http://127.0.0.1:${await upstream.ready()}/v1/chat/completions`;
    const variants = clientVariants(url, tracetapeDir, settings);
    for (let round = 0; round < settings.rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const variant of order) {
        const mine = await runClient(variant, round, problems);
        samples[variant.id].push(...mine);
        log(`streamed responses, round ${round + 1} ${variant.id.padEnd(9)} first byte p50 ${pct(mine, 'firstByteMs', 50).toFixed(2)} ms, end p50 ${pct(mine, 'endMs', 50).toFixed(1)} ms, n=${mine.length}`);
      }
    }
    const warmVariants = clientVariants(url, tracetapeDir, { streams: settings.warm, warmup: settings.warmup + settings.streams });
    for (let round = 0; round < settings.warmRounds; round++) {
      const order = warmVariants.map((_, i) => warmVariants[(i + round) % warmVariants.length]);
      for (const variant of order) {
        const warm = await runClient(variant, settings.rounds + round, problems);
        warmSamples[variant.id].push(...warm);
        log(`streamed responses, warm round ${round + 1} ${variant.id.padEnd(9)} first byte p50 ${pct(warm, 'firstByteMs', 50).toFixed(2)} ms, n=${warm.length}`);
      }
    }
  } finally {
    upstream.kill();
  }
  log('streamed responses: checking what the capture client recorded ...');
  const recording = await verifyStreams(tracetapeDir, settings);
  for (const problem of problems) log(`streamed responses: ${problem}`);

  const stats = (id) => ({ p50: pct(samples[id], 'firstByteMs', 50), p99: pct(samples[id], 'firstByteMs', 99), end: pct(samples[id], 'endMs', 50) });
  const plain = stats('none');
  const otel = stats('otel');
  const captured = stats('tracetape');
  const warmP50 = (id) => pct(warmSamples[id], 'firstByteMs', 50);
  const warm = { none: warmP50('none'), otel: warmP50('otel'), tracetape: warmP50('tracetape') };
  const setup =
    `${settings.rounds} round(s) × ${settings.streams} streams per variant after ${settings.warmup} warm-up, fresh client process each; ` +
    `${EVENTS} events ${INTERVAL_MS} ms apart; ${recording.recordedCalls} of ${recording.expectedCalls} streams recorded, ` +
    `${recording.chunksInFirstStream} chunks in the first` +
    (problems.length ? `; ${problems.length} warning(s) on stderr` : '');
  const baseline = (value) => ({ label: 'no capture', value, unit: 'ms' });
  return [
    {
      name: 'SSE time to first byte, p50',
      value: captured.p50,
      unit: 'ms',
      baseline: baseline(plain.p50),
      ratio: captured.p50 / plain.p50,
      target: `≤ +${P50_TARGET_MS} ms`,
      met: captured.p50 - plain.p50 <= P50_TARGET_MS,
      detail: `${setup}; plain OpenTelemetry (no capture) ${otel.p50.toFixed(2)} ms, so capture itself adds ${(captured.p50 - otel.p50).toFixed(2)} ms`,
    },
    {
      name: 'SSE time to first byte, p99',
      value: captured.p99,
      unit: 'ms',
      baseline: baseline(plain.p99),
      ratio: captured.p99 / plain.p99,
      // Had capture held the stream back, the first byte would wait for later events.
      target: `≤ +${INTERVAL_MS} ms (one event gap)`,
      met: captured.p99 - plain.p99 <= INTERVAL_MS,
    },
    {
      name: 'SSE time to first byte, p50, warm',
      value: warm.tracetape,
      unit: 'ms',
      baseline: baseline(warm.none),
      ratio: warm.tracetape / warm.none,
      detail:
        `${settings.warmRounds} round(s) × ${settings.warm} streams per variant after ${settings.warmup + settings.streams} unmeasured ones (streams ${settings.warmup + settings.streams + 1} to ${settings.warmup + settings.streams + settings.warm} of a fresh client process); ` +
        `plain OpenTelemetry ${warm.otel.toFixed(2)} ms, so capture itself adds ${(warm.tracetape - warm.otel).toFixed(2)} ms once warm`,
    },
    { name: 'SSE whole stream, p50', value: captured.end, unit: 'ms', baseline: baseline(plain.end), ratio: captured.end / plain.end },
  ];
}
