// `tracetape ui` at scale, in a real browser: how long a run of 10,000 steps takes to open (its
// first step rows drawn and step 1's detail shown), and how smoothly the keyboard scrubs through
// it, next to the same open of a 100-step run.
//
// Both runs are recorded by the real CLI (`tracetape record -- node bench/replay-script.mjs`:
// sequential fetch POSTs with small JSON bodies to the loopback bench/echo-upstream.mjs) into one
// store; then the real `tracetape ui --port 0` serves that store to Debian's Chromium, driven by
// playwright-core (TRACETAPE_CHROMIUM names another binary). The server builds a run's tape on
// its first open and keeps it: the first open of each run is reported as the cold one, then
// fresh pages (same browser, so the page's script is in its cache) give the warm ones.
//
// Times are taken inside the page, from the navigation's start (performance.timeOrigin) to the
// first frame painted with both step rows and step 1's detail in the DOM; the Resource Timing
// entries of the two API calls split that time into page shell, server, transfer and rendering.
//
//   node bench/ui-scale.mjs [--quick|--smoke]     prints the figures as JSON
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BenchCheckFailed } from './figures.mjs';
import { runNode } from './node-run.mjs';
import { runIfMain, sizeFor } from './scale-cli.mjs';
import { ServiceProcess } from './service-process.mjs';
import { median, percentile } from './stats.mjs';
import { cleanEnv, tracetapeCli } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const appScript = path.join(here, 'replay-script.mjs');
const upstreamScript = path.join(here, 'echo-upstream.mjs');

const SIZES = {
  full: { steps: 10_000, warmOpens: 5, scrub: 200 },
  quick: { steps: 2_000, warmOpens: 5, scrub: 200 },
  smoke: { steps: 200, warmOpens: 2, scrub: 30 },
};
const BASELINE_STEPS = 100;
const OPEN_TARGET_MS = 1000;
const SMOOTH_FRAME_MS = 50;
/** More rows than this in the DOM means the waterfall is not virtualised. */
const MAX_ROWS = 1000;

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const log = (text) => process.stderr.write(`${text}\n`);
const fail = (problem) => new BenchCheckFailed([problem]);
const round = (ms) => Math.round(ms * 10) / 10;
const count = (n) => n.toLocaleString('en-US');

export async function measure(flags = {}) {
  const { steps, warmOpens, scrub } = sizeFor(flags, SIZES);
  const full = !flags.quick && !flags.smoke;
  const tmp = mkdtempSync(path.join(flags.tmpDir ?? os.tmpdir(), 'tracetape-bench-ui-'));
  const env = cleanEnv({ TRACETAPE_DIR: path.join(tmp, 'store') });
  let upstream;
  let ui;
  let context;
  try {
    upstream = new ServiceProcess('echo upstream', [upstreamScript], cleanEnv());
    const upstreamUrl = `http://127.0.0.1:${await upstream.ready()}`;
    const baselineRun = await record(BASELINE_STEPS, env, upstreamUrl);
    const bigRun = await record(steps, env, upstreamUrl);
    await upstream.stop();

    ui = await startUi(env);
    log(`ui: ${ui.url} over the store; launching Chromium`);
    context = await launchChromium(tmp);

    // The browser's own first page (starting its renderer, compiling the page's script) is not
    // any run's open: the runs list takes it.
    await warmUpBrowser(context, ui.url);
    const runs = [baselineRun, bigRun];
    const opened = new Map(runs.map((run) => [run, { warm: [] }]));
    for (const run of runs) opened.get(run).cold = await openRun(context, ui.url, run);
    // Interleaved, so a drift of the machine touches both runs alike.
    for (let i = 0; i < warmOpens; i++) for (const run of runs) opened.get(run).warm.push(await openRun(context, ui.url, run));
    for (const run of runs) {
      const o = opened.get(run);
      const { cold, warm } = o;
      o.api = await timeApi(ui.url, run, warmOpens);
      o.warmMs = median(warm.map((open) => open.openMs));
      log(`ui: ${count(run.steps)}-step run: cold open ${cold.openMs.toFixed(0)} ms, warm ${warm.map((open) => open.openMs.toFixed(0)).join(' / ')} ms; ${cold.rows} rows in the DOM`);
    }
    const small = opened.get(baselineRun);
    const big = opened.get(bigRun);
    for (const open of [big.cold, ...big.warm]) {
      if (open.rows >= MAX_ROWS) throw fail(`the waterfall of the ${count(steps)}-step run holds ${open.rows} step rows in the DOM: it is not virtualised`);
    }

    const scrubbed = await scrubRun(context, ui.url, bigRun, scrub);
    log(`ui: scrubbed ${scrub} steps in ${scrubbed.totalMs.toFixed(0)} ms; frame gaps p95 ${scrubbed.p95Gap.toFixed(1)} ms, longest ${scrubbed.maxGap.toFixed(1)} ms`);

    const warmParts = split(big.warm);
    const smallParts = split(small.warm);
    const describeApi = (run, api) =>
      `GET /api/runs/<id> from Node: ${round(api.ms)} ms median of ${api.samples}, ${(api.bytes / 1024).toFixed(1)} KiB of JSON (${count(run.steps)} step summaries)`;
    const bigName = count(steps);
    return [
      {
        name: `ui: open a ${bigName}-step run (warm)`,
        value: round(big.warmMs),
        unit: 'ms',
        baseline: { label: `${BASELINE_STEPS}-step run, warm`, value: round(small.warmMs), unit: 'ms' },
        ratio: big.warmMs / small.warmMs,
        target: `< ${OPEN_TARGET_MS} ms at 10,000 steps`,
        ...(full ? { met: big.warmMs < OPEN_TARGET_MS } : {}),
        detail:
          `navigation start to the first frame with step rows and step 1's detail, fresh page each, median of ${warmOpens} (${big.warm.map((o) => round(o.openMs)).join(', ')} ms); ` +
          `medians of the parts: ${describeParts(warmParts)}; ${describeApi(bigRun, big.api)}; ` +
          `${BASELINE_STEPS}-step run: ${describeParts(smallParts)}, ${describeApi(baselineRun, small.api)}`,
      },
      {
        name: `ui: open a ${bigName}-step run (cold, includes building the tape from the store)`,
        value: round(big.cold.openMs),
        unit: 'ms',
        baseline: { label: `${BASELINE_STEPS}-step run, cold`, value: round(small.cold.openMs), unit: 'ms' },
        ratio: big.cold.openMs / small.cold.openMs,
        detail: `the run's first open since \`tracetape ui\` started: ${describeParts(big.cold.parts)}; the server answer includes opening the store and building the tape`,
      },
      {
        name: `ui: step rows in the DOM, ${bigName}-step run`,
        value: big.warm[0].rows,
        unit: 'rows',
        baseline: { label: `${BASELINE_STEPS}-step run`, value: small.warm[0].rows, unit: 'rows' },
        ratio: big.warm[0].rows / small.warm[0].rows,
        target: `< ${MAX_ROWS} (only what is visible)`,
        ...(full ? { met: big.warm[0].rows < MAX_ROWS } : {}),
        detail: `[data-testid="step-row"] elements once the run is open; the waterfall's scroll height stands for all ${count(steps)} (checked: fewer than ${MAX_ROWS} on every open)`,
      },
      {
        name: `ui: scrub ${scrub} steps with the keyboard`,
        value: scrubbed.totalMs / scrub,
        unit: 'ms/step',
        detail:
          `ArrowRight ${scrub} times through playwright (each press awaited, as fast as input goes) from step 1 of the ${bigName}-step run, until step ${scrub + 1}'s detail was painted: ` +
          `${round(scrubbed.totalMs)} ms in all, the key presses ${round(scrubbed.keysMs)} ms, then ${round(scrubbed.settleMs)} ms for the last step's detail (fetched once the keys stop); ` +
          `keydown to the next paint (Event Timing): ${scrubbed.slowKeys} of ${scrub} presses took 16 ms or more, p50 ${scrubbed.keyP50 < 16 ? '< 16' : round(scrubbed.keyP50)} ms, p95 ${scrubbed.keyP95 < 16 ? '< 16' : round(scrubbed.keyP95)} ms, longest ${round(scrubbed.keyMax)} ms (of those, medians: input delay ${round(scrubbed.keyParts.delay)} ms, handlers ${round(scrubbed.keyParts.handlers)} ms, then ${round(scrubbed.keyParts.presentation)} ms to the frame's presentation); ${scrubbed.detailFetches} step detail fetch(es) during the scrub; ${scrubbed.rows} step rows in the DOM at the end`,
      },
      {
        name: `ui: scrub ${scrub} steps, p95 frame gap`,
        value: round(scrubbed.p95Gap),
        unit: 'ms',
        baseline: { label: 'the same page, idle', value: round(scrubbed.idle.p95Gap), unit: 'ms' },
        ratio: scrubbed.p95Gap / scrubbed.idle.p95Gap,
        target: `< ${SMOOTH_FRAME_MS} ms (smooth)`,
        ...(full ? { met: scrubbed.p95Gap < SMOOTH_FRAME_MS } : {}),
        detail: `gaps between requestAnimationFrame callbacks in the page during the scrub: ${scrubbed.frames} frames, median ${round(scrubbed.medianGap)} ms, p95 ${round(scrubbed.p95Gap)} ms, longest ${round(scrubbed.maxGap)} ms; the same page idle for 1 s before the scrub: ${scrubbed.idle.frames} frames, median ${round(scrubbed.idle.medianGap)} ms, longest ${round(scrubbed.idle.maxGap)} ms (headless Chromium, --disable-gpu, software compositing)`,
      },
      {
        name: `ui: scrub ${scrub} steps, longest frame gap`,
        value: round(scrubbed.maxGap),
        unit: 'ms',
        baseline: { label: 'the same page, idle', value: round(scrubbed.idle.maxGap), unit: 'ms' },
        ratio: scrubbed.maxGap / scrubbed.idle.maxGap,
      },
    ];
  } finally {
    await context?.close().catch(() => undefined);
    await ui?.process.stop();
    await upstream?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Records `calls` sequential fetch POSTs with the real CLI; checks the run holds as many steps. */
async function record(calls, env, upstreamUrl) {
  const started = performance.now();
  const result = await runNode([tracetapeCli, 'record', '--', process.execPath, appScript], { ...env, BENCH_UPSTREAM_URL: upstreamUrl, BENCH_CALLS: String(calls) }, {
    name: `tracetape record (${calls} calls)`,
    timeoutMs: 600_000,
  });
  const traceId = /recorded trace ([0-9a-f]{32})/.exec(result.stderr)?.[1];
  if (result.code !== 0 || !traceId) throw fail(`recording ${calls} calls failed (exit ${result.signal ?? result.code}):\n${result.stderr.trim().slice(0, 1000)}`);
  log(`ui: recorded ${count(calls)} calls in trace ${traceId} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return { traceId, steps: calls };
}

/** `tracetape ui --port 0` over the store; resolves once it prints its URL. */
async function startUi(env) {
  const process_ = new ServiceProcess('tracetape ui', [tracetapeCli, 'ui', '--port', '0'], env);
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`tracetape ui printed no URL within 30 s\n${process_.stderr}`)), 30_000);
    process_.child.stdout.setEncoding('utf8');
    process_.child.stdout.on('data', (text) => {
      out += text;
      const match = / at (http:\/\/\S+?)\/?\s*$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void process_.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`tracetape ui exited (${signal ?? code}) before printing its URL\n${process_.stderr}`));
    });
  });
  return { process: process_, url };
}

/** Debian's Chromium, headless, with a fresh profile under `dir` (launched as test/support/browser.ts does). */
async function launchChromium(dir) {
  const executablePath = process.env.TRACETAPE_CHROMIUM || DEFAULT_CHROMIUM;
  const browserDir = path.join(dir, 'browser');
  mkdirSync(browserDir, { recursive: true });
  try {
    return await chromium.launchPersistentContext(path.join(browserDir, 'profile'), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      artifactsDir: path.join(browserDir, 'artifacts'),
      viewport: { width: 1280, height: 900 },
      timeout: 30_000,
    });
  } catch (error) {
    throw new Error(`Chromium (${executablePath}) did not start: ${error.message}. Install it with sudo scripts/install-browser.sh, or point TRACETAPE_CHROMIUM at one.`, { cause: error });
  }
}

// Runs in the page before its own script: notes when step rows first exist, and when the first
// frame with rows and step 1's detail was painted (a task queued from the frame's rAF runs after
// that frame's paint).
function watchOpen() {
  const marks = {};
  window.__benchOpen = marks;
  const observer = new MutationObserver(() => {
    if (marks.rowsAt === undefined && document.querySelector('[data-testid="step-row"]')) marks.rowsAt = performance.now();
    if (marks.rowsAt !== undefined && marks.detailAt === undefined && document.querySelector('[data-testid="step-detail"][data-step="1"]')) {
      marks.detailAt = performance.now();
      observer.disconnect();
      requestAnimationFrame(() => setTimeout(() => (marks.paintedAt = performance.now()), 0));
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-step'] });
}

/** Opens the runs list once, unmeasured: the browser's first page pays for starting its renderer. */
async function warmUpBrowser(context, baseUrl) {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="run-row"]', { timeout: 60_000 });
  } finally {
    await page.close();
  }
}

/** Gaps (ms, sorted) between requestAnimationFrame callbacks over `ms` of an idle page. */
async function idleFrameGaps(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const frames = [];
        const tick = (time) => {
          frames.push(time);
          if (time - frames[0] < ms) requestAnimationFrame(tick);
          else resolve(frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b));
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

/** One open of a run's page in a fresh page: its time and where it went. */
async function openRun(context, baseUrl, run) {
  const page = await context.newPage();
  try {
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(watchOpen);
    await page.goto(`${baseUrl}/runs/${run.traceId}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__benchOpen?.paintedAt !== undefined, undefined, { timeout: 120_000, polling: 50 }).catch((error) => {
      throw fail(`the ${count(run.steps)}-step run did not open (step rows and step 1's detail) in 120 s${errors.length ? `; page errors: ${errors.join('; ')}` : ''}: ${error.message}`);
    });
    const seen = await page.evaluate((traceId) => {
      const marks = window.__benchOpen;
      const entry = (suffix) => {
        const found = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === `/api/runs/${traceId}${suffix}`);
        return found && { start: found.startTime, requestStart: found.requestStart, responseStart: found.responseStart, end: found.responseEnd, bytes: found.decodedBodySize };
      };
      const script = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname.endsWith('.js'));
      return {
        marks,
        documentEnd: performance.getEntriesByType('navigation')[0]?.responseEnd,
        scriptEnd: script?.responseEnd,
        runApi: entry(''),
        stepApi: entry('/steps/1'),
        rows: document.querySelectorAll('[data-testid="step-row"]').length,
        scrubberMax: Number(document.querySelector('[data-testid="scrubber"]')?.getAttribute('max')),
      };
    }, run.traceId);
    if (seen.scrubberMax !== run.steps) throw fail(`the page shows ${seen.scrubberMax} steps for the run recorded with ${run.steps} calls`);
    if (!seen.runApi || !seen.stepApi) throw fail(`the page made no ${seen.runApi ? 'step' : 'run'} API call on open`);
    if (errors.length) throw fail(`the page reported errors: ${errors.join('; ')}`);
    const { marks, runApi, stepApi } = seen;
    return {
      openMs: marks.paintedAt,
      rows: seen.rows,
      parts: {
        shellMs: runApi.start,
        documentMs: seen.documentEnd,
        scriptMs: seen.scriptEnd,
        serverMs: runApi.responseStart - runApi.requestStart,
        transferMs: runApi.end - runApi.responseStart,
        rowsMs: marks.rowsAt - runApi.end,
        detailWaitMs: stepApi.start - marks.rowsAt,
        detailFetchMs: stepApi.end - stepApi.start,
        detailShownMs: marks.paintedAt - stepApi.end,
        runBytes: runApi.bytes,
      },
    };
  } finally {
    await page.close();
  }
}

function split(opens) {
  const keys = Object.keys(opens[0].parts);
  return Object.fromEntries(keys.map((key) => [key, median(opens.map((o) => o.parts[key]))]));
}

function describeParts(p) {
  return (
    `page shell ${round(p.shellMs)} ms (HTML in at ${round(p.documentMs)} ms, script at ${round(p.scriptMs)} ms), run API answer ${round(p.serverMs)} ms and transfer ${round(p.transferMs)} ms (${(p.runBytes / 1024).toFixed(1)} KiB), ` +
    `rows rendered ${round(p.rowsMs)} ms after, step 1's fetch starting ${round(p.detailWaitMs)} ms later (the page waits for the selection to settle) and taking ${round(p.detailFetchMs)} ms, ` +
    `painted ${round(p.detailShownMs)} ms after it arrived`
  );
}

/** The run API straight from Node (the server's tape is built by now): median time and size. */
async function timeApi(baseUrl, run, samples) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/runs/${run.traceId}`);
    const text = await response.text();
    times.push(performance.now() - started);
    if (!response.ok) throw fail(`GET /api/runs/${run.traceId} answered ${response.status}: ${text.slice(0, 300)}`);
    const steps = JSON.parse(text).steps?.length;
    if (steps !== run.steps) throw fail(`the run recorded with ${run.steps} calls has ${steps} steps`);
    bytes = Buffer.byteLength(text);
  }
  return { ms: median(times), bytes, samples };
}

/** Opens the run, then presses ArrowRight `keys` times, sampling frames until step keys+1's detail is painted. */
async function scrubRun(context, baseUrl, run, keys) {
  const page = await context.newPage();
  try {
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(watchOpen);
    await page.goto(`${baseUrl}/runs/${run.traceId}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__benchOpen?.paintedAt !== undefined, undefined, { timeout: 120_000, polling: 50 });
    await page.locator('[data-testid="waterfall"]').focus();
    const idle = await idleFrameGaps(page, 1000);
    const target = keys + 1;
    await page.evaluate((target) => {
      const scrub = { frames: [], fetches: 0, keyPaints: [], keyParts: [], start: performance.now() };
      window.__benchScrub = scrub;
      // Event Timing: from each keydown to the next frame painted after its handlers, for presses
      // that took 16 ms or more (the least the API reports).
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.name !== 'keydown' || entry.startTime < scrub.start) continue;
          scrub.keyPaints.push(entry.duration);
          scrub.keyParts.push({
            delay: entry.processingStart - entry.startTime,
            handlers: entry.processingEnd - entry.processingStart,
            presentation: entry.startTime + entry.duration - entry.processingEnd,
          });
        }
      }).observe({ type: 'event', durationThreshold: 16 });
      const before = performance.getEntriesByType('resource').length;
      const tick = (time) => {
        scrub.frames.push(time);
        if (scrub.paintedAt === undefined) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const observer = new MutationObserver(() => {
        if (document.querySelector(`[data-testid="step-detail"][data-step="${target}"]`)) {
          observer.disconnect();
          scrub.detailAt = performance.now();
          scrub.fetches = performance.getEntriesByType('resource').slice(before).filter((e) => /\/steps\/\d+$/.test(new URL(e.name).pathname)).length;
          requestAnimationFrame(() => setTimeout(() => (scrub.paintedAt = performance.now()), 0));
        }
      });
      observer.observe(document.querySelector('[data-testid="step-detail"]'), { attributes: true, attributeFilter: ['data-step'] });
    }, target);
    for (let i = 0; i < keys; i++) await page.keyboard.press('ArrowRight');
    const keysDoneAt = await page.evaluate(() => performance.now());
    await page.waitForFunction(() => window.__benchScrub.paintedAt !== undefined, undefined, { timeout: 60_000, polling: 50 }).catch((error) => {
      throw fail(`after ${keys} ArrowRight presses the detail never showed step ${target}: ${error.message}`);
    });
    const scrub = await page.evaluate((target) => {
      const s = window.__benchScrub;
      return {
        ...s,
        selected: document.querySelector('[data-testid="step-row"][data-selected="true"]')?.getAttribute('data-step'),
        targetRow: document.querySelector(`[data-testid="step-row"][data-step="${target}"]`) !== null,
        rows: document.querySelectorAll('[data-testid="step-row"]').length,
      };
    }, target);
    if (scrub.selected !== String(target) || !scrub.targetRow) throw fail(`after the scrub the selected row is step ${scrub.selected}, not ${target}`);
    if (errors.length) throw fail(`the page reported errors while scrubbing: ${errors.join('; ')}`);
    // Presses under 16 ms have no entry: they count as 0 here, which only the low percentiles see.
    const keyPaints = [...scrub.keyPaints, ...Array(Math.max(0, keys - scrub.keyPaints.length)).fill(0)].sort((a, b) => a - b);
    const frames = scrub.frames.filter((t) => t <= scrub.paintedAt);
    const gaps = frames
      .slice(1)
      .map((t, i) => t - frames[i])
      .sort((a, b) => a - b);
    return {
      totalMs: scrub.paintedAt - scrub.start,
      keysMs: keysDoneAt - scrub.start,
      settleMs: scrub.paintedAt - keysDoneAt,
      detailFetches: scrub.fetches,
      rows: scrub.rows,
      frames: frames.length,
      medianGap: percentile(gaps, 50),
      p95Gap: percentile(gaps, 95),
      maxGap: gaps.at(-1),
      slowKeys: scrub.keyPaints.length,
      // Of those presses, medians: waiting for the main thread, the keydown handlers, then until the frame was presented.
      keyParts: Object.fromEntries(['delay', 'handlers', 'presentation'].map((key) => [key, median(scrub.keyParts.map((part) => part[key]))])),
      keyP50: percentile(keyPaints, 50),
      keyP95: percentile(keyPaints, 95),
      keyMax: keyPaints.at(-1),
      idle: { frames: idle.length + 1, medianGap: percentile(idle, 50), p95Gap: percentile(idle, 95), maxGap: idle.at(-1) },
    };
  } finally {
    await page.close();
  }
}

runIfMain(import.meta.url, measure);
