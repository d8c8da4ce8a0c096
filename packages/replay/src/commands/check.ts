import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, intervalMs, renderDiffTable, type CheckMode, type StoredReplay } from '@tracetape/core';
import { paletteFor, type Palette } from '../colour.js';
import { checkFixture, type FixtureCheck } from '../fixture-check.js';
import { formatDuration } from '../human-format.js';
import { junitReport } from '../junit-report.js';
import { storedReplaySpan } from '../stored-replay.js';
import type { Command } from './command.js';
import { withStore } from './store-access.js';

const MODES: readonly CheckMode[] = ['cassette', 'strict', 'live-read'];
const CONTRACT_SUFFIX = '.contract.json';

export const checkCommand: Command = {
  name: 'check',
  summary: 'run replay fixtures against the current code and judge them by their contracts',
  usage: `tracetape check <contract|dir>... [--mode cassette|strict|live-read] [--safe-host H] [--junit <file>] [--no-store]
tracetape check --prove <contract> --broken <command> --fixed <command> [--mode …]

Runs each fixture (a ${CONTRACT_SUFFIX} file beside its tape, written by \`tracetape fixture\`; a
directory means every contract in it) against the code as it is now, and prints PASS, FAIL or
INCONCLUSIVE with the reason: the contract clause that failed (exit status, an output check, a side
effect over its allowance or forbidden), or the divergence when the code asked for a call the tape
does not hold. Exits 1 unless every fixture passed.

Each check is stored in the store as a run of its own (tracetape.run.type=replay, with the fixture's
ID and verdict), linked to the recording: tracetape ui, SQL and the Grafana fixture-health panel show
checks beside production runs.

Modes:
  cassette    (default) every call answered from the tape; a call the tape does not hold fails the fixture
  strict      also fails when recorded steps were never asked for
  live-read   HTTP reads (GET, HEAD, OPTIONS) to safe hosts (the contract's "safeHosts", --safe-host)
              go to the network for fresh data (a read the recording never had an answer to
              stays unanswered); every other call stays on the tape

Options:
  --safe-host H          a host (host or host:port) whose reads go live in live-read mode; repeatable
  --junit <file>         also write the results as JUnit XML (failures as <failure>, inconclusive as <error>)
  --no-store             do not store the check runs
  --prove <contract>     show the fixture earns its place: it must FAIL on --broken and PASS on --fixed,
  --broken <command>     each a shell command run in the contract's working directory instead of its
  --fixed <command>      own command (e.g. --broken 'node agent.mjs' --fixed 'node agent-fixed.mjs')`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        mode: { type: 'string', default: 'cassette' },
        'safe-host': { type: 'string', multiple: true },
        junit: { type: 'string' },
        store: { type: 'boolean', default: true },
        prove: { type: 'string' },
        broken: { type: 'string' },
        fixed: { type: 'string' },
      },
      allowNegative: true,
      strict: true,
    });
    const mode = values.mode as CheckMode;
    if (!MODES.includes(mode)) throw new ConfigError(`--mode must be ${MODES.join(', ')}, not "${values.mode}".`);
    const safeHosts = values['safe-host'] ?? [];
    if (safeHosts.length > 0 && mode !== 'live-read') throw new ConfigError(`--safe-host only sends reads live in --mode live-read; add --mode live-read, or drop --safe-host.`);
    const colour = paletteFor(process.stdout);
    if (values.prove !== undefined) return prove(values.prove, values.broken, values.fixed, mode, safeHosts, colour);
    if (values.broken !== undefined || values.fixed !== undefined) throw new ConfigError('--broken and --fixed go with --prove <contract>.');

    const contracts = contractFiles(positionals);
    const checks: FixtureCheck[] = [];
    for (const file of contracts) {
      const check = await checkFixture(file, { mode, safeHosts });
      checks.push(check);
      process.stdout.write(`${describeCheck(check, colour)}\n`);
    }
    if (values.junit) {
      fs.mkdirSync(path.dirname(path.resolve(values.junit)), { recursive: true });
      fs.writeFileSync(values.junit, junitReport(checks));
    }
    if (values.store) await storeChecks(checks);
    const count = (verdict: FixtureCheck['verdict']) => checks.filter((check) => check.verdict === verdict).length;
    process.stdout.write(`tracetape check: ${count('pass')} passed, ${count('fail')} failed, ${count('inconclusive')} inconclusive (${mode})\n`);
    return checks.every((check) => check.verdict === 'pass') ? 0 : 1;
  },
};

/** The contract files named, a directory standing for every contract in it (not below it). */
function contractFiles(positionals: string[]): string[] {
  if (positionals.length === 0) throw new ConfigError(`Check what? Name contract files or directories: tracetape check test/fixtures. \`tracetape fixture <traceId>\` writes a fixture's tape and contract.`);
  const files: string[] = [];
  for (const given of positionals) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      throw new ConfigError(`No such contract file or directory: ${given}.`);
    }
    if (!stat.isDirectory()) {
      files.push(given);
      continue;
    }
    const found = fs.readdirSync(given).filter((name) => name.endsWith(CONTRACT_SUFFIX)).sort();
    if (found.length === 0) throw new ConfigError(`${given} holds no ${CONTRACT_SUFFIX} file. \`tracetape fixture <traceId> -o ${given}\` writes one.`);
    files.push(...found.map((name) => path.join(given, name)));
  }
  return files;
}

const VERDICT_WORD = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE' } as const;

/** `PASS name (cassette, 1.2 s)`, then for anything else the reasons and the divergence diffs. */
export function describeCheck(check: FixtureCheck, colour: Palette): string {
  const word = VERDICT_WORD[check.verdict];
  const painted = check.verdict === 'pass' ? colour.green(word) : check.verdict === 'fail' ? colour.red(word) : colour.yellow(word);
  const lines = [`${painted} ${check.contract.fixture}  (${check.mode}, ${formatDuration(check.endedMs - check.startedMs)}, ${check.contractFile})`];
  if (check.verdict === 'pass') return lines[0]!;
  for (const reason of check.reasons) lines.push(`  - ${reason}`);
  for (const call of check.report?.blocked ?? []) {
    if (call.diff.length === 0 || call.closestStep === undefined) continue;
    lines.push(`  call #${call.callIndex} ${call.method} ${call.url} against step ${call.closestStep}:`, renderDiffTable(call.diff).replace(/^/gm, '    '));
  }
  const output = check.stdout.trimEnd().split('\n').slice(-10);
  if (output.join('').length > 0) lines.push(`  its output ended with:`, ...output.map((line) => `    | ${line}`));
  return lines.join('\n');
}

/** Each check as a stored replay run of its fixture's recording: what fixture health is read from. */
async function storeChecks(checks: readonly FixtureCheck[]): Promise<void> {
  if (checks.length === 0) return;
  const spans = checks.map((check) => {
    const replay: StoredReplay = {
      report: check.report ?? { traceId: check.tape.traceId, served: [], unconsumed: [], blocked: [], sideEffectsSuppressed: [] },
      command: check.command,
      exitCode: check.exitCode,
      exitEndedByTracetape: check.exitEndedByTracetape,
      outcome: check.verdict === 'pass' ? 'passed' : 'diverged',
      check: {
        fixture: check.contract.fixture,
        mode: check.mode,
        verdict: check.verdict,
        reasons: check.reasons,
        clauses: check.clauses,
        intervalSeconds: Math.round(intervalMs(check.contract) / 1000),
      },
    };
    return storedReplaySpan(check.tape, replay, check.startedMs, check.endedMs);
  });
  try {
    await withStore((store) => store.insert(spans, []), { create: true });
    process.stderr.write(`tracetape: stored ${spans.length} check run(s) (\`tracetape ui\` shows them beside their recordings)\n`);
  } catch (error) {
    process.stderr.write(`tracetape: warning: the check runs were not stored (${(error as Error).message}); the verdicts above stand.\n`);
  }
}

/** The fixture must tell the bug from its fix: fail on the broken code, pass on the fixed one. */
async function prove(contractFile: string, broken: string | undefined, fixed: string | undefined, mode: CheckMode, safeHosts: string[], colour: Palette): Promise<number> {
  if (!broken || !fixed) throw new ConfigError('--prove needs both --broken <command> and --fixed <command>: the code with the bug and the code with the fix.');
  const onBroken = await checkFixture(contractFile, { mode, safeHosts, command: ['sh', '-c', broken] });
  process.stdout.write(`broken code (${broken}):\n${describeCheck(onBroken, colour).replace(/^/gm, '  ')}\n`);
  const onFixed = await checkFixture(contractFile, { mode, safeHosts, command: ['sh', '-c', fixed] });
  process.stdout.write(`fixed code (${fixed}):\n${describeCheck(onFixed, colour).replace(/^/gm, '  ')}\n`);
  const fixture = onBroken.contract.fixture;
  if (onBroken.verdict === 'fail' && onFixed.verdict === 'pass') {
    process.stdout.write(`tracetape check: ${colour.green('PROVEN')} ${fixture} fails on the broken code and passes on the fixed code: it catches this bug.\n`);
    return 0;
  }
  const why =
    onBroken.verdict !== 'fail'
      ? `it does not fail on the broken code (${VERDICT_WORD[onBroken.verdict]}): it would not catch the bug. Tighten its contract.`
      : `it does not pass on the fixed code (${VERDICT_WORD[onFixed.verdict]}): see the reasons above.`;
  process.stdout.write(`tracetape check: ${colour.red('NOT PROVEN')} ${fixture}: ${why}\n`);
  return 1;
}
