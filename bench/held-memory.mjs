// Held memory: what a recorded service keeps per request it has served, for as long as it runs.
// A service behind a gateway starts a trace per request; anything kept per trace (a list of the
// traces, the clock reads of a request that already answered, a call that never got a response)
// grows until the process dies. Plain OpenTelemetry and tracetape serve the same requests
// (bench/held-memory-service.mjs); the heap after full collections is read after a warm-up and
// again after the measured requests, and the growth divided by the requests.
//
//   node bench/held-memory.mjs [--quick|--smoke]     prints the figures as JSON
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchCheckFailed } from './figures.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { ServiceProcess } from './service-process.mjs';
import { cleanEnv, plainOtelRegister, tracetapeRegister } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const service = path.join(here, 'held-memory-service.mjs');
const SIZES = { full: { warmup: 2000, measured: 20000 }, quick: { warmup: 1000, measured: 8000 }, smoke: { warmup: 100, measured: 300 } };
const CONCURRENCY = 8;
// Heap readings after full collections still move by a megabyte or so between two readings:
// over 20,000 requests that is ~50 bytes a request either way. Anything kept per request shows as more.
const TARGET_BYTES = 100;

const log = (text) => process.stderr.write(`${text}\n`);

async function startUpstream() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function refusedUrl() {
  const probe = http.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

function client(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (pathname, headers = {}) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: pathname, agent, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${pathname}: ${res.statusCode} ${body.slice(0, 200)}`))));
        })
        .on('error', reject);
    });
  const serve = async (requests) => {
    for (let sent = 0; sent < requests; sent += CONCURRENCY) {
      const batch = Math.min(CONCURRENCY, requests - sent);
      await Promise.all(Array.from({ length: batch }, (_, i) => get(`/order/${sent + i}`, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` })));
    }
  };
  const heap = async () => JSON.parse(await get('/heap'));
  return { serve, heap, close: () => agent.destroy() };
}

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  return total;
}

async function measureVariant(variant, sizes) {
  const proc = new ServiceProcess(variant.id, ['--expose-gc', ...(variant.register ? ['--import', pathToFileURL(variant.register).href] : []), service], variant.env);
  const port = await proc.ready();
  const calls = client(port);
  try {
    await calls.serve(sizes.warmup);
    const before = await calls.heap();
    await calls.serve(sizes.measured);
    // The timers of the last requests read the clock 1 ms after they answered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await calls.heap();
    if (after.lateReads < sizes.warmup + sizes.measured) throw new BenchCheckFailed([`${variant.label}: ${after.lateReads} late clock reads, expected ${sizes.warmup + sizes.measured}`]);
    return { bytesPerRequest: (after.heapUsed - before.heapUsed) / sizes.measured, beforeMb: before.heapUsed / 1e6, afterMb: after.heapUsed / 1e6 };
  } finally {
    calls.close();
    proc.kill();
    await proc.exited;
  }
}

export async function measure(flags = {}) {
  const sizes = sizeFor(flags, SIZES);
  const tmpDir = flags.tmpDir ?? os.tmpdir();
  mkdirSync(tmpDir, { recursive: true });
  const upstream = await startUpstream();
  const urls = { BENCH_UPSTREAM_URL: `http://127.0.0.1:${upstream.address().port}/orders`, BENCH_REFUSED_URL: await refusedUrl() };
  const store = path.join(tmpDir, 'held-memory-store');
  const variants = [
    { id: 'otel', label: 'plain OpenTelemetry', register: plainOtelRegister, env: cleanEnv(urls) },
    { id: 'tracetape', label: 'tracetape', register: tracetapeRegister, env: cleanEnv({ ...urls, TRACETAPE_MODE: 'capture', TRACETAPE_DIR: store }) },
  ];
  const results = {};
  try {
    for (const variant of variants) {
      log(`held memory: ${variant.label}, ${sizes.warmup} + ${sizes.measured} requests`);
      results[variant.id] = await measureVariant(variant, sizes);
    }
  } finally {
    upstream.close();
  }
  const written = bytesUnder(store);
  if (written === 0) throw new BenchCheckFailed(['held memory: the tracetape service wrote nothing to its recording log']);
  const extra = results.tracetape.bytesPerRequest - results.otel.bytesPerRequest;
  const smoke = flags.smoke === true;
  return [
    {
      name: 'held memory: heap kept per request served',
      value: results.tracetape.bytesPerRequest,
      unit: 'B',
      baseline: { label: 'plain OTel', value: results.otel.bytesPerRequest, unit: 'B' },
      target: `<= plain OTel + ${TARGET_BYTES} B`,
      met: smoke ? undefined : extra <= TARGET_BYTES,
      detail:
        `heap after two full GCs, after ${sizes.warmup} warm-up requests and again after ${sizes.measured} more, each request a new trace (a fresh traceparent) ` +
        `making a JSON POST, a refused GET and a clock read from a timer after it answered; tracetape ${results.tracetape.beforeMb.toFixed(1)} -> ${results.tracetape.afterMb.toFixed(1)} MB, ` +
        `plain OTel ${results.otel.beforeMb.toFixed(1)} -> ${results.otel.afterMb.toFixed(1)} MB; tracetape's log ${(written / 1e6).toFixed(1)} MB`,
    },
  ];
}

runIfMain(import.meta.url, measure);
