import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';
import { againstVariant, variants } from '../bench/variants.mjs';

// The benchmark suite at smoke size: real child processes, real chDB, real loopback servers. Only
// that every figure is produced and every correctness check (recordings complete, replays served
// from the tape) passes is asserted; timings on a shared machine are not.

interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number; unit: string };
  ratio?: number;
  target?: string;
  met?: boolean;
}

interface Section {
  id: string;
  status: 'ok' | 'failed' | 'not-available';
  error?: string;
  figures: Figure[];
}

const BENCH = path.join(REPO_ROOT, 'bench/run.mjs');
const SECTIONS = ['capture', 'sse', 'databases', 'replay', 'exporter', 'ingest', 'tape', 'storage', 'startup', 'memory', 'ui'];
const OWN_FIGURES = [
  'capture: throughput',
  'capture: latency p50 at 60 req/s',
  'capture: latency p99 at 60 req/s',
  'capture: latency p50, saturated',
  'capture: latency p99, saturated',
  'capture: CPU per request',
  "capture: latency p99 at 60 req/s, OpenTelemetry + nock's recorder, full bodies",
  "capture: CPU per request, OpenTelemetry + nock's recorder, full bodies",
  'capture: latency p99 at 60 req/s, OpenTelemetry + @mswjs/interceptors copying bodies',
  'capture: CPU per request, OpenTelemetry + @mswjs/interceptors copying bodies',
  'capture: latency p99 at 60 req/s, tracetape capture, interceptor',
  'capture: CPU per request, tracetape capture, interceptor',
  'capture: tracetape against the peer recorders (p99 and CPU)',
  'SSE time to first byte, p50',
  'SSE time to first byte, p99',
  'SSE time to first byte, p50, warm',
  'SSE whole stream, p50',
  'databases: pg query latency p99',
  'databases: CPU per pg query',
  'replay speed, call loop',
  'replay speed, whole command',
  'ingest throughput, one pinned core',
  'ingest throughput, all cores',
  'ingest of an OTLP/JSON log, one pinned core',
  'start-up: hooked hello world, wall time to exit',
  'start-up: hooked hello world, peak RSS',
  'held memory: heap kept per request served',
];
// Figures that are a difference, not a size or a rate: a heap that shrank between two readings is
// a negative growth, and a true one.
const SIGNED_FIGURES = ['held memory: heap kept per request served'];
// Beside the current hook's start-up, the one before the recording log (7233e78), built from git
// by bench/previous-hook.mjs; a clone without that commit gets a figure saying why instead.
const PREVIOUS_FIGURES = [
  'start-up: hello world, wall time to exit, before the log (7233e78)',
  'start-up: hello world, peak RSS, before the log (7233e78)',
];

describe('npm run bench', () => {
  it('produces every figure with passing correctness checks at smoke size', { timeout: 420_000 }, async () => {
    const result = await runProcess(process.execPath, [BENCH, '--smoke', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { mode: string; ok: boolean; sections: Section[] };
    expect(report.mode).toBe('smoke');
    expect(report.ok).toBe(true);

    const sections = report.sections.map(({ id, status, error }) => ({ id, status, error }));
    expect(sections).toEqual(SECTIONS.map((id) => ({ id, status: 'ok', error: undefined })));

    const figures = report.sections.flatMap((section) => section.figures);
    for (const section of report.sections) expect(section.figures.length, section.id).toBeGreaterThan(0);
    const unavailable = figures.filter((figure) => figure.name.endsWith('not available'));
    for (const figure of figures) {
      if (unavailable.includes(figure)) continue;
      const signed = SIGNED_FIGURES.includes(figure.name);
      expect(Number.isFinite(figure.value) && (signed || figure.value > 0), `${figure.name}: ${figure.value}`).toBe(true);
      if (figure.baseline) expect(Number.isFinite(figure.baseline.value) && (signed || figure.baseline.value > 0), `${figure.name} baseline`).toBe(true);
      // Smoke sizes judge no target.
      expect(figure.met, figure.name).toBeUndefined();
    }
    expect(figures.map((figure) => figure.name)).toEqual(expect.arrayContaining(OWN_FIGURES));
    if (unavailable.length === 0) expect(figures.map((figure) => figure.name)).toEqual(expect.arrayContaining(PREVIOUS_FIGURES));
    else expect(unavailable.map((figure) => figure.name)).toEqual(['start-up: tracetape (before the log, 7233e78) not available']);
  });

  it('splits capture overhead into its layers at smoke size (npm run bench:capture-floor)', { timeout: 240_000 }, async () => {
    const result = await runProcess(process.execPath, [path.join(REPO_ROOT, 'bench/capture-floor.mjs'), '--smoke', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { variants: Array<{ id: string; pacedP99Ms: number; p99VsOtel: number; cpuMsPerRequest: number }> };
    expect(report.variants.map((v) => v.id)).toEqual(['otel', 'channels', 'interceptor', 'tracetape-otlp', 'tracetape', 'tracetape-channels']);
    for (const v of report.variants) {
      expect(Number.isFinite(v.pacedP99Ms) && v.pacedP99Ms > 0, v.id).toBe(true);
      expect(Number.isFinite(v.cpuMsPerRequest) && v.cpuMsPerRequest > 0, v.id).toBe(true);
    }
    expect(report.variants[0]!.p99VsOtel).toBe(1);
  });

  it('splits one core of insert time between the exporter, the tables, parsing and insert formats at smoke size (npm run bench:ceiling)', { timeout: 240_000 }, async () => {
    const result = await runProcess(process.execPath, [path.join(REPO_ROOT, 'bench/exporter-ceiling.mjs'), '--smoke', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { variants: Array<{ id: string; spansPerSecond: number }> };
    expect(report.variants.map((v) => v.id)).toEqual(['exporter', 'all', 'all-native', 'all-json', 'all-lz4', 'all-nocodec', 'payloads', 'payloads-json', 'spans', 'spans-json', 'parse', 'parse-json']);
    for (const v of report.variants) expect(Number.isFinite(v.spansPerSecond) && v.spansPerSecond > 0, v.id).toBe(true);
  });

  it('measures both OTLP encodings the recording log could use, app side and ingest side (npm run bench:log-format)', { timeout: 120_000 }, async () => {
    const result = await runProcess(process.execPath, [path.join(REPO_ROOT, 'bench/log-format.mjs'), '--smoke', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { rows: Array<{ format: string; serializeUsPerSpan: number; ingestUsPerSpan: number; bytesPerSpan: number }> };
    expect(report.rows.map((row) => row.format)).toEqual(['OTLP/JSON', 'OTLP/protobuf']);
    for (const row of report.rows) {
      for (const value of [row.serializeUsPerSpan, row.ingestUsPerSpan, row.bytesPerSpan]) expect(Number.isFinite(value) && value > 0, row.format).toBe(true);
    }
  });

  it('puts tracetape as another commit built it beside the working tree in the capture rounds (--against)', { timeout: 300_000 }, async () => {
    // HEAD: a commit every clone has; the build is the same code, which is what the check needs.
    // It goes where bench/previous-hook.mjs keeps builds, and is removed unless it was there before.
    const sha = (await runProcess('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
    const buildDir = path.join(os.tmpdir(), `tracetape-bench-previous-${sha.slice(0, 12)}`);
    const builtBefore = existsSync(buildDir);
    const result = await runProcess(process.execPath, [BENCH, '--smoke', '--json', '--only', 'capture', '--against', 'HEAD']).finally(() => {
      if (!builtBefore) rmSync(buildDir, { recursive: true, force: true });
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { sections: Section[] };
    const figures = report.sections[0]!.figures as Array<Figure & { detail?: string }>;
    const commit = sha.slice(0, 7);
    const against = figures.filter((figure) => figure.name.endsWith(`against tracetape at ${commit}`));
    expect(against.map((figure) => figure.name)).toEqual([
      `capture: CPU per request, against tracetape at ${commit}`,
      `capture: latency p99 at 60 req/s, against tracetape at ${commit}`,
      `capture: throughput, against tracetape at ${commit}`,
    ]);
    for (const figure of against) {
      expect(figure.baseline?.label).toBe(`tracetape at ${commit}`);
      expect(Number.isFinite(figure.ratio) && figure.ratio! > 0, figure.name).toBe(true);
    }
    // The other commit's recording is checked through its own CLI, like the working tree's.
    expect(against[0]!.detail).toMatch(new RegExp(`(\\d+) of \\1 calls recorded at ${commit}`));
    // An A/B leaves the peer recorders out.
    expect(figures.some((figure) => figure.name.includes('nock'))).toBe(false);
  });

  it('says what --against needs before measuring anything', async () => {
    const outsideCapture = await runProcess(process.execPath, [BENCH, '--only', 'tape', '--against', 'HEAD']);
    expect(outsideCapture.code).toBe(2);
    expect(outsideCapture.stderr).toContain('--against compares capture with another commit: add capture to --only.');
    const unknown = await runProcess(process.execPath, [BENCH, '--smoke', '--only', 'capture', '--against', 'no-such-commit-here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('--against no-such-commit-here: commit no-such-commit-here is not in this clone');
  });

  it('starts every capture service with the --node-flag given, and says what it takes', async () => {
    const outsideCapture = await runProcess(process.execPath, [BENCH, '--only', 'tape', '--node-flag=--max-semi-space-size=16']);
    expect(outsideCapture.code).toBe(2);
    expect(outsideCapture.stderr).toContain("--node-flag starts the capture figure's services with a flag: add capture to --only.");
    const notAFlag = await runProcess(process.execPath, [BENCH, '--only', 'capture', '--node-flag', 'max-semi-space-size=16']);
    expect(notAFlag.code).toBe(2);
    expect(notAFlag.stderr).toContain('--node-flag takes one Node or V8 option such as --max-semi-space-size=16, not "max-semi-space-size=16".');
    // Every variant's service, and the --against build's, starts with the flags before its own arguments.
    const flags = ['--max-semi-space-size=16', '--no-opt'];
    const all = variants({ upstreamUrl: 'http://127.0.0.1:1', tracetapeDir: (id: string) => `/tmp/${id}`, nodeFlags: flags });
    expect(all.map((variant) => variant.id)).toEqual(['none', 'otel', 'nock', 'mswjs', 'tracetape', 'tracetapeInterceptor']);
    const against = againstVariant({ upstreamUrl: 'http://127.0.0.1:1', tracetapeDir: (id: string) => `/tmp/${id}`, build: { commit: 'abc1234', register: '/tmp/register.js' }, nodeFlags: flags });
    for (const variant of [...all, against]) expect(variant.args.slice(0, 2), variant.id).toEqual(flags);
    // A flag node does not know stops the first service the bench starts: the flag is on its command line.
    const unknown = await runProcess(process.execPath, [BENCH, '--smoke', '--only', 'capture', '--node-flag=--no-such-node-flag-here']);
    expect(unknown.code).toBe(1);
    expect(`${unknown.stdout}${unknown.stderr}`).toContain('--no-such-node-flag-here');
  });

  it('refuses an unknown figure name before measuring anything', async () => {
    const result = await runProcess(process.execPath, [BENCH, '--only', 'capture,speed']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown figure(s) speed; choose from capture, sse, databases, replay, exporter, ingest, tape, storage, startup, memory, ui');
    expect(result.stdout).toBe('');
  });
});
