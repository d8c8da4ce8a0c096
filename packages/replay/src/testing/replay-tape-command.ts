import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, serializeTape, type ReplayReport } from '@tracetape/core';
import { makeScratchDir } from '../temp-files.js';
import { judgeByContract, loadContract, type ContractJudgement, type ContractSource } from './contract-source.js';
import { ReplayFailedError, reportFailures, type CommandOutcome } from './replay-failed-error.js';
import { loadTape, type TapeSource } from './tape-source.js';

export interface ReplayTapeCommandOptions {
  /** Also fail when recorded calls were never asked for. */
  strict?: boolean;
  /** Hosts (`host` or `host:port`) whose calls go to the network instead of the tape. */
  liveHosts?: readonly string[];
  /** Extra environment for the command, on top of this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Replay a tape file whose checksum is missing or no longer matches (a fixture edited by hand on purpose). */
  allowModifiedTape?: boolean;
  /**
   * Judge the run by this fixture contract exactly as `tracetape check` does (exit status, stdout
   * and files, side effects); the contract then decides, in strict mode when `strict`.
   */
  contract?: ContractSource;
}

export interface ReplayTapeCommandResult extends CommandOutcome {
  report: ReplayReport;
  /** With a contract: its verdict (always `pass` when this returns) and each clause. */
  judgement?: ContractJudgement;
}

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/**
 * Runs `command` under `tracetape replay --tape <file>` in a child process, exactly as on the command
 * line, and throws a {@link ReplayFailedError} with the divergence report if the replay failed
 * (a blocked call, a non-zero exit of the command, or with `strict` an unconsumed step).
 */
export async function replayTapeCommand(
  tapeSource: TapeSource,
  command: string[],
  options: ReplayTapeCommandOptions = {},
): Promise<ReplayTapeCommandResult> {
  if (command.length === 0) throw new ConfigError('replayTapeCommand needs a command to run, e.g. [\'node\', \'agent.mjs\'].');
  const { tape, label, file } = loadTape(tapeSource, { allowModified: options.allowModifiedTape });
  const contract = options.contract === undefined ? undefined : loadContract(options.contract);
  const scratch = makeScratchDir();
  try {
    const tapeFile = file ?? scratch.file('tape.json');
    if (!file) fs.writeFileSync(tapeFile, serializeTape(tape));
    const reportFile = scratch.file('report.json');
    const args = [CLI, 'replay', '--tape', tapeFile, '--report', reportFile];
    if (options.strict) args.push('--strict');
    if (options.allowModifiedTape) args.push('--allow-modified-tape');
    for (const host of options.liveHosts ?? []) args.push('--live-host', host);
    args.push('--', ...command);
    const outcome = await run(args, options);
    const report = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ReplayReport) : undefined;
    if (contract) {
      const cwd = options.cwd ?? process.cwd();
      const judgement = judgeByContract(contract, { exitCode: outcome.exitCode, stdout: outcome.stdout, cwd }, report, tape, options.strict ? 'strict' : 'cassette');
      if (judgement.verdict === 'pass') return { ...outcome, report: report!, judgement };
      throw new ReplayFailedError(
        { tape: label, ...(report ? { report } : {}), reasons: [`contract ${contract.fixture}: ${judgement.verdict.toUpperCase()}`, ...judgement.reasons], outcome },
        `stderr of the replay:\n${tail(outcome.stderr)}`,
      );
    }
    if (outcome.exitCode === 0 && report) return { ...outcome, report };

    const reasons = report ? reportFailures(report, options.strict ?? false) : [];
    if (!report) reasons.push('nothing was replayed: the command started no Node process with the tracetape hook');
    if (outcome.exitCode !== 0) reasons.push(`\`tracetape replay\` exited with code ${outcome.exitCode}`);
    // Without a blocked call to explain it, the command's own output says why it failed.
    const detail = report && report.blocked.length > 0 ? undefined : `stderr of the replay:\n${tail(outcome.stderr)}`;
    throw new ReplayFailedError({ tape: label, ...(report ? { report } : {}), reasons, outcome }, detail);
  } finally {
    scratch.dispose();
  }
}

function run(args: string[], options: ReplayTapeCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => reject(new ConfigError(`Could not start \`tracetape replay\`: ${error.message}`)));
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
