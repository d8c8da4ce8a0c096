// `npm run bench`: every benchmark figure of tracetape, each measured side by side with its
// baseline in the same run, printed as one table.
//
//   node bench/run.mjs [--quick | --smoke] [--json] [--only capture,sse,databases,replay,exporter,ingest,tape,storage,startup,memory,ui]
//                      [--rounds N] [--requests N] [--concurrency N] [--against COMMIT] [--node-flag=FLAG]...   (capture overhead only)
//
// --quick: smaller sizes, rough numbers. --smoke: tiny sizes, seconds per figure, targets not
// judged; `npm test` runs it (test/bench.test.ts) to prove every figure is produced and its
// correctness checks pass. Progress goes to stderr; the table (or, with --json, one JSON document)
// to stdout. Exits 1 when a correctness check fails (a recording missing, a replay that diverged,
// a figure that threw), not when a target is missed.
//
// --against COMMIT: the capture figure puts tracetape as built from COMMIT (git, built aside, see
// bench/previous-hook.mjs) beside the working tree's, interleaved in the same rounds, and leaves
// the peer recorders out: the way to tell what a change did to capture on a machine whose speed
// moves between runs.
//
// --node-flag=FLAG (repeatable; with `=`, as FLAG starts with dashes): every service process of
// the capture figure, each variant alike, starts with FLAG (`--node-flag=--max-semi-space-size=16`):
// how a Node or V8 setting the app's owner controls moves the ratios, measured side by side.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { figureProblem, formatFigures } from './figures.mjs';
import { describeMachine } from './machine.mjs';
import { killRunningChildren } from './node-run.mjs';
import { liveChildren } from './service-process.mjs';
import { tracetapeCli, tracetapeRegister } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// In table order. Each file exports `measure({ quick, smoke, tmpDir }): Promise<Figure[]>` and
// throws when its correctness check fails.
const SECTIONS = [
  { id: 'capture', title: 'capture overhead', file: 'capture-overhead.mjs' },
  { id: 'sse', title: 'streamed responses', file: 'sse-ttfb.mjs' },
  { id: 'databases', title: 'database capture', file: 'pg-capture.mjs' },
  { id: 'replay', title: 'replay speed', file: 'replay-speed.mjs' },
  { id: 'exporter', title: 'exporter throughput', file: 'exporter-throughput.mjs' },
  { id: 'ingest', title: 'ingest throughput', file: 'ingest-throughput.mjs' },
  { id: 'tape', title: 'tape build', file: 'tape-build.mjs' },
  { id: 'storage', title: 'storage ratio', file: 'storage-ratio.mjs' },
  { id: 'startup', title: 'start-up', file: 'startup.mjs' },
  { id: 'memory', title: 'held memory', file: 'held-memory.mjs' },
  { id: 'ui', title: 'tracetape ui', file: 'ui-scale.mjs' },
];

class UsageError extends Error {
  code = 'BENCH_USAGE';
}

/** parseArgs, its refusals (an unknown option, a value that looks like one) said as usage errors. */
function parseOptions(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    if (typeof error?.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(error.message);
    throw error;
  }
}

function parseFlags(argv) {
  const { values } = parseOptions({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      against: { type: 'string' },
      'node-flag': { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (values.quick && values.smoke) throw new UsageError('--quick and --smoke are two sizes: pick one.');
  const known = SECTIONS.map((s) => s.id);
  const only = values.only?.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !known.includes(id)) ?? [];
  if (unknown.length) throw new UsageError(`--only: unknown figure(s) ${unknown.join(', ')}; choose from ${known.join(', ')}.`);
  const overrides = {};
  for (const name of ['rounds', 'requests', 'concurrency']) {
    if (values[name] === undefined) continue;
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive whole number, not "${values[name]}".`);
    overrides[name] = value;
  }
  if (values.against !== undefined) {
    if (only && !only.includes('capture')) throw new UsageError('--against compares capture with another commit: add capture to --only.');
    if (!/^[0-9a-zA-Z][\w./~^-]*$/.test(values.against)) throw new UsageError(`--against takes a commit (a hash, tag or branch), not "${values.against}".`);
    overrides.against = values.against;
  }
  if (values['node-flag'] !== undefined) {
    if (only && !only.includes('capture')) throw new UsageError('--node-flag starts the capture figure\'s services with a flag: add capture to --only.');
    const bad = values['node-flag'].find((flag) => !/^--[a-z][\w-]*(=[\w.,:/-]+)?$/.test(flag));
    if (bad !== undefined) throw new UsageError(`--node-flag takes one Node or V8 option such as --max-semi-space-size=16, not "${bad}".`);
    overrides.nodeFlags = values['node-flag'];
  }
  return { ...values, mode: values.smoke ? 'smoke' : values.quick ? 'quick' : 'full', only, overrides };
}

const log = (text) => process.stderr.write(`${text}\n`);

// The bundles `tracetape replay` runs (its command, and the playback hook it preloads) when they
// are current; a `tsc -b` since the last `npm run build` leaves them older than their modules, and
// the command then runs the modules instead: its start measured 1,012 to 1,221 ms against 772
// to 879 ms once rebuilt (BENCHMARKS.md, session 29), a start no installed tracetape has. A smoke
// run judges no figure, and `npm test` rebuilds the bundles beside it (npm run pack): not checked.
const BUNDLES = [
  ['CLI', 'packages/replay/dist/bundle/main.js'],
  ['playback hook', 'packages/register/dist/hook/index.js'],
];

async function checkBundles({ only, mode }) {
  if (mode === 'smoke' || (only && !only.includes('replay'))) return;
  const { freshBundle } = await import(pathToFileURL(path.join(here, '..', 'packages/replay/dist/fresh-bundle.js')).href);
  for (const [what, file] of BUNDLES) {
    if (!freshBundle(pathToFileURL(path.join(here, '..', file)))) {
      throw new UsageError(`tracetape's ${what} bundle (${file}) is missing or older than the modules it was built from, so replay would run the modules and its start figures would not be an installed tracetape's: run \`npm run build\` (or use \`npm run bench\`).`);
    }
  }
}

function checkPrerequisites() {
  // tracetape needs Node >= 22.15 (its interceptors use Promise.withResolvers): on an older node
  // every call the measured apps make fails, and the numbers would describe a broken app.
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new UsageError(`Node ${process.version} is too old for tracetape (needs >= 22.15); put node_modules/.bin first on PATH.`);
  }
  for (const [what, file] of [['register hook', tracetapeRegister], ['CLI', tracetapeCli]]) {
    if (!existsSync(file)) throw new UsageError(`tracetape's ${what} is not built (${path.relative(process.cwd(), file)}); run \`npm run build\` or use \`npm run bench\`.`);
  }
}

/**
 * Runs one section. Only a missing file makes it "not available": a file that exists but fails to
 * load, throws, or returns malformed figures fails the run.
 */
async function runSection(section, flags, tmpRoot) {
  const file = path.join(here, section.file);
  const started = performance.now();
  const outcome = { id: section.id, title: section.title, file: `bench/${section.file}` };
  if (!existsSync(file)) {
    log(`${section.title}: bench/${section.file} does not exist; not available`);
    return { ...outcome, status: 'not-available', error: `bench/${section.file} does not exist`, figures: [] };
  }
  log(`${section.title} (bench/${section.file}) ...`);
  try {
    const { measure } = await import(pathToFileURL(file).href);
    if (typeof measure !== 'function') throw new TypeError(`bench/${section.file} exports no measure() function`);
    const tmpDir = path.join(tmpRoot, section.id);
    mkdirSync(tmpDir, { recursive: true });
    const figures = await measure({ quick: flags.mode !== 'full', smoke: flags.mode === 'smoke', tmpDir, overrides: flags.overrides });
    if (!Array.isArray(figures) || figures.length === 0) throw new TypeError(`bench/${section.file}: measure() returned no figures`);
    const malformed = figures.map(figureProblem).filter(Boolean);
    if (malformed.length) throw new TypeError(`bench/${section.file}: ${malformed.join('; ')}`);
    // Tiny sizes say nothing about targets.
    const judged = flags.mode === 'smoke' ? figures.map(({ met, ...figure }) => figure) : figures;
    return { ...outcome, status: 'ok', durationMs: performance.now() - started, figures: judged };
  } catch (error) {
    log(`${section.title} FAILED: ${error?.stack ?? error}`);
    return { ...outcome, status: 'failed', durationMs: performance.now() - started, error: String(error?.message ?? error), figures: [] };
  }
}

async function main(flags, tmpRoot) {
  checkPrerequisites();
  await checkBundles(flags);
  const started = performance.now();
  const sections = [];
  for (const section of SECTIONS) {
    if (flags.only && !flags.only.includes(section.id)) continue;
    sections.push(await runSection(section, flags, tmpRoot));
  }
  const ok = sections.every((s) => s.status !== 'failed');
  const report = { mode: flags.mode, machine: describeMachine(), durationMs: performance.now() - started, ok, sections };
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const { machine } = report;
    process.stdout.write(
      `tracetape benchmarks (${flags.mode}), ${(report.durationMs / 1000).toFixed(0)} s; machine: ${machine.cores} cores, ${machine.cpuModel}, ` +
        `${machine.memoryGb} GB, Node ${machine.node}\n\n${formatFigures(sections, { judged: flags.mode !== 'smoke' })}\n`,
    );
    const failed = sections.filter((s) => s.status === 'failed');
    // The whole message (a replay's divergence report, say) is on stderr and in --json.
    const brief = (error) => error.split('\n').slice(0, 12).join('\n    ');
    if (failed.length) process.stdout.write(`\ncorrectness checks FAILED:\n${failed.map((s) => `  - ${s.title}: ${brief(s.error)}`).join('\n')}\n`);
  }
  return ok ? 0 : 1;
}

let tmpRoot;
let cleanedUp = false;
function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of liveChildren()) child.kill();
  killRunningChildren();
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
}
// Ctrl-C must not leave services listening or store directories behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
process.once('exit', cleanUp);

try {
  const flags = parseFlags(process.argv.slice(2));
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'tracetape-bench-'));
  process.exitCode = await main(flags, tmpRoot);
} catch (error) {
  log(error instanceof UsageError ? `bench: ${error.message}` : `bench failed: ${error?.stack ?? error}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
} finally {
  cleanUp();
}
