// Where the capture overhead of `npm run bench` comes from, layer by layer: the same service at
// the same paced load (60 req/s, open loop, in steady state) and then saturated, as
//   1. plain OpenTelemetry (the baseline of the capture figures),
//   2. plus a copy of every body from Node's diagnostics channels (no interceptor, no tracetape),
//   3. plus the socket-level interceptor alone, reading a copy of every body (no tracetape code),
//   4. tracetape capture exporting over OTLP to a sink that keeps nothing (no store),
//   5. tracetape capture into embedded chDB (the default, and the suite's figure),
//   6. the same, reading outbound calls from the diagnostics channels (TRACETAPE_CAPTURE_SOURCE=channels).
// Variants run in fresh children, interleaved round by round; the table shows medians.
//
//   node bench/capture-floor.mjs [--quick | --smoke] [--rounds N] [--json]      (npm run bench:capture-floor)
//
// --smoke: tiny sizes, one round; test/bench.test.ts runs it so the script cannot rot.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CAPTURE_MODES, PACED_RATE } from './capture-overhead.mjs';
import { measureVariant } from './measure-variant.mjs';
import { ServiceProcess } from './service-process.mjs';
import { median } from './stats.mjs';
import { verifyRecording } from './verify-recording.mjs';
import { cleanEnv, plainOtelRegister, serviceScript, tracetapeRegister, upstreamScript } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, smoke: { type: 'boolean', default: false }, rounds: { type: 'string' }, json: { type: 'boolean', default: false } },
  strict: true,
});
const mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
const settings = { ...CAPTURE_MODES[mode], concurrency: 16, pacedRate: PACED_RATE };
const rounds = Number(values.rounds ?? settings.rounds);
if (!Number.isInteger(rounds) || rounds <= 0) throw new Error(`--rounds must be a positive whole number, not "${values.rounds}".`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tracetape-bench-floor-'));
const upstream = new ServiceProcess('upstream', [upstreamScript], cleanEnv({ BENCH_UPSTREAM_DELAY_MS: '20' }));
const sink = new ServiceProcess('otlp-sink', [path.join(here, 'otlp-sink.mjs')], cleanEnv());
const rows = [];
try {
  const upstreamUrl = `http://127.0.0.1:${await upstream.ready()}`;
  const sinkUrl = `http://127.0.0.1:${await sink.ready()}`;
  const common = { BENCH_UPSTREAM_URL: upstreamUrl, OTEL_SERVICE_NAME: 'bench-service' };
  const withImport = (register) => ['--import', pathToFileURL(register).href, serviceScript];
  const variants = [
    { id: 'otel', label: 'plain OpenTelemetry', args: withImport(plainOtelRegister), env: cleanEnv(common) },
    { id: 'channels', label: '+ diagnostics channels copying bodies', args: withImport(path.join(here, 'channels-only-register.mjs')), env: cleanEnv(common) },
    { id: 'interceptor', label: '+ socket interceptor reading body copies', args: withImport(path.join(here, 'interceptor-only-register.mjs')), env: cleanEnv(common) },
    {
      id: 'tracetape-otlp',
      label: 'tracetape capture, OTLP to a discarding sink',
      args: withImport(tracetapeRegister),
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, TRACETAPE_LOG_DIR: path.join(tmp, 'otlp-log') }),
    },
    {
      id: 'tracetape',
      label: 'tracetape capture, embedded chDB',
      args: withImport(tracetapeRegister),
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: path.join(tmp, 'store') }),
    },
    {
      id: 'tracetape-channels',
      label: 'tracetape capture via channels, embedded chDB',
      args: withImport(tracetapeRegister),
      env: cleanEnv({ ...common, TRACETAPE_MODE: 'capture', TRACETAPE_CAPTURE_SOURCE: 'channels', TRACETAPE_DIR: path.join(tmp, 'store-channels') }),
    },
  ];
  // Each chDB layer's store, and what it must hold: every request's three calls.
  const stores = { tracetape: { dir: path.join(tmp, 'store'), requests: 0, processes: 0 }, 'tracetape-channels': { dir: path.join(tmp, 'store-channels'), requests: 0, processes: 0 } };
  const results = new Map(variants.map((v) => [v.id, []]));
  let nextId = 0;
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    for (const variant of order) {
      const m = await measureVariant(variant, settings, nextId, upstream);
      nextId += m.idsUsed;
      if (m.errors > 0) throw new Error(`${variant.id}: ${m.errors} failed requests (first: ${m.firstError})`);
      if (m.stderr.trim()) throw new Error(`${variant.id}: ${m.stderr.trim().slice(0, 2000)}`);
      results.get(variant.id).push(m);
      const store = stores[variant.id];
      if (store) {
        store.requests += m.answered;
        store.processes++;
      }
      process.stderr.write(
        `round ${round + 1} ${variant.id.padEnd(18)} at ${PACED_RATE}/s p50 ${m.paced.p50.toFixed(1)} p99 ${m.paced.p99.toFixed(1)} ms; ` +
          `saturated ${m.reqPerSec.toFixed(1)} req/s, CPU ${m.cpuMsPerRequest.toFixed(2)} ms/req (JS ${m.mainThreadCpuMsPerRequest.toFixed(2)})\n`,
      );
    }
  }
  // The tracetape layers must have captured what they were sent, or their figures mean nothing.
  const sinkStats = await (await fetch(`${sinkUrl}/stats`)).json();
  if (sinkStats.exports === 0) throw new Error('the OTLP sink received no export from the tracetape-otlp variant');
  for (const [id, store] of Object.entries(stores)) {
    const recording = await verifyRecording(store.dir, store.requests + store.processes);
    if (recording.recordedCalls < store.requests * 3) {
      throw new Error(`${id} recorded ${recording.recordedCalls} of ${store.requests * 3} calls into chDB${recording.error ? ` (${recording.error})` : ''}`);
    }
  }
  const base = results.get('otel');
  for (const variant of variants) {
    const mine = results.get(variant.id);
    // Per-round ratios against plain OpenTelemetry of the same round, then their median.
    const p99Ratio = median(mine.map((m, i) => m.paced.p99 / base[i].paced.p99));
    rows.push({
      id: variant.id,
      label: variant.label,
      pacedP50Ms: median(mine.map((m) => m.paced.p50)),
      pacedP99Ms: median(mine.map((m) => m.paced.p99)),
      p99VsOtel: p99Ratio,
      saturatedReqPerSec: median(mine.map((m) => m.reqPerSec)),
      cpuMsPerRequest: median(mine.map((m) => m.cpuMsPerRequest)),
      jsThreadCpuMsPerRequest: median(mine.map((m) => m.mainThreadCpuMsPerRequest)),
    });
  }
} finally {
  upstream.kill();
  sink.kill();
  rmSync(tmp, { recursive: true, force: true });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ mode, rounds, pacedRate: PACED_RATE, variants: rows }, null, 2)}\n`);
} else {
  const header = ['variant', `p50 @${PACED_RATE}/s`, `p99 @${PACED_RATE}/s`, 'p99 vs OTel', 'req/s saturated', 'CPU ms/req', 'JS thread'];
  const cells = rows.map((r) => [
    r.label,
    r.pacedP50Ms.toFixed(1),
    r.pacedP99Ms.toFixed(1),
    `×${r.p99VsOtel.toFixed(2)}`,
    r.saturatedReqPerSec.toFixed(1),
    r.cpuMsPerRequest.toFixed(2),
    r.jsThreadCpuMsPerRequest.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(
    `capture overhead by layer (${mode}, ${rounds} round(s), medians; each request = 3 outbound POSTs, 8 KB JSON each way)\n\n` +
      `${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`,
  );
}
