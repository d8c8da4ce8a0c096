// Turns per-round measurements into the summary (medians, paired ratios) and prints it.
import { median } from './stats.mjs';

export const P99_TARGET = 1.05;
export const CPU_TARGET = 1.5;
export const THROUGHPUT_TARGET = 0.95;
/** The peer recorders tracetape is measured against (bench/variants.mjs). */
export const PEERS = ['nock', 'mswjs'];
const CALLS_PER_REQUEST = 3;

/**
 * Ratios are taken per round (each round's variants ran back to back) and then the median over
 * rounds, so drift between rounds (thermal, noisy neighbours) cancels instead of adding up.
 */
function pairedRatio(rounds, metric, a, b) {
  return median(rounds.map((round) => round[a][metric] / round[b][metric]));
}

function pairedDifference(rounds, metric, a, b) {
  return median(rounds.map((round) => round[a][metric] - round[b][metric]));
}

function pacedOnly(round) {
  return Object.fromEntries(Object.entries(round).map(([id, m]) => [id, m.paced]));
}

/** `labels`: each measured variant's id and label, in the order the table lists them. */
export function summarize({ machine, settings, labels, measurements, recording, expectedCalls }) {
  const rounds = [];
  for (const m of measurements) (rounds[m.round] ??= {})[m.variant] = m;
  // Rounds left out as disturbed leave holes; the ratios are over the rounds that count.
  const counted = rounds.filter(Boolean);

  const variants = {};
  for (const id of Object.keys(labels)) {
    const mine = measurements.filter((m) => m.variant === id);
    variants[id] = {
      label: labels[id],
      reqPerSec: median(mine.map((m) => m.reqPerSec)),
      p50Ms: median(mine.map((m) => m.p50)),
      p99Ms: median(mine.map((m) => m.p99)),
      pacedP50Ms: median(mine.map((m) => m.paced.p50)),
      pacedP99Ms: median(mine.map((m) => m.paced.p99)),
      maxMs: median(mine.map((m) => m.max)),
      cpuMsPerRequest: median(mine.map((m) => m.cpuMsPerRequest)),
      mainThreadCpuMsPerRequest: median(mine.map((m) => m.mainThreadCpuMsPerRequest)),
      peakRssMb: median(mine.map((m) => m.peakRssMb)),
      foreignCores: median(mine.map((m) => m.foreignCores)),
      startupMs: median(mine.map((m) => m.startupMs)),
      warmupMaxMs: median(mine.map((m) => m.warmup.max)),
      stopMs: median(mine.map((m) => m.stopMs)),
      requests: mine.reduce((sum, m) => sum + m.requests, 0),
      errors: mine.reduce((sum, m) => sum + m.errors, 0),
    };
  }

  const ratios = {};
  // Every variant against no instrumentation and against plain OpenTelemetry (the capture baseline).
  const pairs = [['otelVsNone', 'otel', 'none']];
  for (const id of Object.keys(labels)) if (id !== 'none' && id !== 'otel') pairs.push([`${id}VsNone`, id, 'none'], [`${id}VsOtel`, id, 'otel']);
  // tracetape against each peer recorder, paired per round like the rest.
  for (const peer of PEERS) if (labels[peer] && labels.tracetape) pairs.push([`tracetapeVs:${peer}`, 'tracetape', peer]);
  // --against: the working tree's tracetape against another commit's, the same way.
  if (labels.against && labels.tracetape) pairs.push(['tracetapeVs:against', 'tracetape', 'against']);
  for (const [name, a, b] of pairs) {
    ratios[name] = {
      reqPerSec: pairedRatio(counted, 'reqPerSec', a, b),
      p50: pairedRatio(counted, 'p50', a, b),
      p99: pairedRatio(counted, 'p99', a, b),
      pacedP50: pairedRatio(counted.map(pacedOnly), 'p50', a, b),
      pacedP99: pairedRatio(counted.map(pacedOnly), 'p99', a, b),
      cpuPerRequest: pairedRatio(counted, 'cpuMsPerRequest', a, b),
      mainThreadCpuPerRequest: pairedRatio(counted, 'mainThreadCpuMsPerRequest', a, b),
    };
  }

  // Judged at the same offered load for all three: at saturation (the closed-loop phase) latency
  // only restates throughput, which is reported on its own.
  const p99Ratio = ratios.tracetapeVsOtel.pacedP99;
  return {
    machine,
    settings,
    variants,
    ratios,
    captureOverheadPerCallUs: {
      // The figure: added median latency spread over the three calls (includes queueing).
      fromP50: (pairedDifference(counted, 'p50', 'tracetape', 'otel') * 1000) / CALLS_PER_REQUEST,
      // Added CPU time per call: independent of how much of it overlaps with waiting on the upstream.
      fromCpu: (pairedDifference(counted, 'cpuMsPerRequest', 'tracetape', 'otel') * 1000) / CALLS_PER_REQUEST,
      fromMainThreadCpu: (pairedDifference(counted, 'mainThreadCpuMsPerRequest', 'tracetape', 'otel') * 1000) / CALLS_PER_REQUEST,
    },
    // A variant that recorded nothing did not pay for capture, so its p99 proves nothing.
    target: { description: `tracetape p99 at ${settings.pacedRate} req/s at most 5% above plain OpenTelemetry`, limit: P99_TARGET, p99Ratio, met: recording.recordedCalls > 0 && p99Ratio <= P99_TARGET },
    recording: { ...recording, expectedCalls },
  };
}

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const times = (value) => (Number.isFinite(value) ? `×${value.toFixed(2)}` : '-');

function table(header, rows) {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatSummary(summary) {
  const { machine, settings, variants, ratios, captureOverheadPerCallUs: perCall, target, recording, roundsRun, roundsCounted } = summary;
  const lines = [];
  lines.push(
    `tracetape capture overhead: ${roundsCounted} round(s) × ${Object.keys(variants).length} variants` +
      (roundsRun > roundsCounted ? ` (${roundsRun - roundsCounted} more run but left out: other processes were busy)` : '') +
      `, ${settings.concurrency} concurrent clients, ` +
      `${settings.requests} requests per measurement after ${settings.warmupRequests} warm-up` +
      ` (each request = 3 sequential outbound POSTs, 8 KB JSON each way, upstream answers after ${settings.upstreamDelayMs} ms)`,
  );
  lines.push(`machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}`);
  lines.push('');
  lines.push(
    table(
      ['variant', 'req/s', 'p50 ms', 'p99 ms', `p50 @${settings.pacedRate}/s`, `p99 @${settings.pacedRate}/s`, 'CPU ms/req', 'JS thread', 'peak RSS MB', 'req/s vs none', 'p50 vs none', 'p99 vs none'],
      Object.entries(variants).map(([id, v]) => [
        v.label,
        fixed(v.reqPerSec),
        fixed(v.p50Ms),
        fixed(v.p99Ms),
        fixed(v.pacedP50Ms),
        fixed(v.pacedP99Ms),
        fixed(v.cpuMsPerRequest, 2),
        fixed(v.mainThreadCpuMsPerRequest, 2),
        fixed(v.peakRssMb, 0),
        ratios[`${id}VsNone`] ? times(ratios[`${id}VsNone`].reqPerSec) : '×1.00',
        ratios[`${id}VsNone`] ? times(ratios[`${id}VsNone`].p50) : '×1.00',
        ratios[`${id}VsNone`] ? times(ratios[`${id}VsNone`].p99) : '×1.00',
      ]),
    ),
  );
  lines.push('');
  for (const [id, v] of Object.entries(variants)) {
    const t = ratios[`${id}VsOtel`];
    if (!t) continue;
    lines.push(
      `${v.label} vs plain OpenTelemetry: saturated (closed loop) req/s ${times(t.reqPerSec)}, p50 ${times(t.p50)}, p99 ${times(t.p99)}; ` +
        `at ${settings.pacedRate} req/s p50 ${times(t.pacedP50)}, p99 ${times(t.pacedP99)}; CPU/request ${times(t.cpuPerRequest)} (JS thread ${times(t.mainThreadCpuPerRequest)})`,
    );
  }
  const versusCommit = ratios['tracetapeVs:against'];
  if (versusCommit) {
    lines.push(
      `${variants.tracetape.label} vs ${variants.against.label}: saturated req/s ${times(versusCommit.reqPerSec)}; ` +
        `at ${settings.pacedRate} req/s p99 ${times(versusCommit.pacedP99)}; CPU/request ${times(versusCommit.cpuPerRequest)} (JS thread ${times(versusCommit.mainThreadCpuPerRequest)})`,
    );
  }
  lines.push(
    `target (p99 at ${settings.pacedRate} req/s at most ×${P99_TARGET.toFixed(2)} of plain OpenTelemetry): ${target.met ? 'MET' : 'NOT MET'} ` +
      `(p99 +${fixed((target.p99Ratio - 1) * 100, 1)}%)`,
  );
  lines.push(
    `capture overhead per outbound call: ${fixed(perCall.fromP50, 0)} µs of p50 latency ((p50 tracetape − p50 OTel) / 3), ` +
      `${fixed(perCall.fromCpu, 0)} µs of CPU (${fixed(perCall.fromMainThreadCpu, 0)} µs on the JS thread)`,
  );
  lines.push(
    `recording: ${recording.recordedCalls} of ${recording.expectedCalls} expected calls recorded in ${recording.tracesWithCalls} traces ` +
      `(${recording.spans} spans, ${recording.captureErrors} capture errors, ${recording.incompleteResponses} incomplete responses)`,
  );
  lines.push(
    `tracetape child: startup ${fixed(variants.tracetape.startupMs, 0)} ms (OTel ${fixed(variants.otel.startupMs, 0)} ms), ` +
      `slowest warm-up request ${fixed(variants.tracetape.warmupMaxMs, 0)} ms (OTel ${fixed(variants.otel.warmupMaxMs, 0)} ms), ` +
      `SIGTERM to exit (flush) ${fixed(variants.tracetape.stopMs, 0)} ms`,
  );
  const foreign = Math.max(...Object.values(variants).map((v) => v.foreignCores));
  lines.push(`other processes on the machine during the counted measurements: ${fixed(foreign, 2)} cores (highest per-variant median)`);
  lines.push('medians over rounds; ratios are per-round ratios, then their median; CPU = all threads of the service process, JS thread = its main thread');
  return lines.join('\n');
}
