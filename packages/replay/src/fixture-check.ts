import fs from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  parseContract,
  serializeTape,
  TracetapeError,
  type CheckMode,
  type ClauseResult,
  type Contract,
  type ReplayReport,
  type Tape,
  type Verdict,
} from '@tracetape/core';
import { endedByTracetape, runHooked } from './child-process.js';
import { STOP_AFTER_ANSWER_MS, watchForInboundOutcome } from './inbound-watch.js';
import { judgeByContract } from './contract-judgement.js';
import { readReplayReport } from './replay-report-lines.js';
import { readTapeFile } from './tape-file.js';
import { makeScratchDir } from './temp-files.js';

export interface FixtureCheckOptions {
  mode: CheckMode;
  /** Hosts whose HTTP reads go live in live-read mode, on top of the contract's own. */
  safeHosts?: readonly string[];
  /** Run this command instead of the contract's (`--prove` runs the broken and the fixed code). */
  command?: string[];
}

/** One fixture checked against the code as it is now. */
export interface FixtureCheck {
  contractFile: string;
  contract: Contract;
  tape: Tape;
  mode: CheckMode;
  command: string[];
  verdict: Verdict;
  reasons: string[];
  clauses: ClauseResult[];
  /** Absent when the command started no Node process with the hook. */
  report?: ReplayReport;
  exitCode: number;
  /** The exit was tracetape's doing (stopped, or ended as recorded): the contract judged it as 0. */
  exitEndedByTracetape: boolean;
  stdout: string;
  startedMs: number;
  endedMs: number;
}

/** A contract file and the tape it names, both checked before anything runs. */
export function loadFixture(contractFile: string): { contract: Contract; tape: Tape } {
  let text: string;
  try {
    text = fs.readFileSync(contractFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the contract ${contractFile}: ${(error as Error).message}. Write one with \`tracetape fixture <traceId> -o <dir>\`.`);
  }
  const contract = parseContract(text, contractFile);
  const tape = readTapeFile(path.resolve(path.dirname(contractFile), contract.tape));
  return { contract, tape };
}

/**
 * Replays the fixture's command against its tape, in the mode asked, and checks the contract
 * against what the run did: its exit status, its output, the side effects it attempted.
 */
export async function checkFixture(contractFile: string, options: FixtureCheckOptions): Promise<FixtureCheck> {
  const { contract, tape } = loadFixture(contractFile);
  const command = options.command ?? contract.command;
  const cwd = contract.cwd === undefined ? process.cwd() : path.resolve(path.dirname(contractFile), contract.cwd);
  const scratch = makeScratchDir();
  try {
    const tapeFile = scratch.file('tape.json');
    const reportFile = scratch.file('report.json');
    fs.writeFileSync(tapeFile, serializeTape(tape));
    const safeHosts = [...(contract.safeHosts ?? []), ...(options.safeHosts ?? [])];
    const env: Record<string, string> = {
      ...contract.env,
      TRACETAPE_MODE: 'playback',
      TRACETAPE_TAPE: tapeFile,
      TRACETAPE_REPORT_FILE: reportFile,
      TRACETAPE_COMMAND_LISTENERS: scratch.file('listeners.jsonl'),
    };
    if (options.mode === 'live-read' && safeHosts.length > 0) env.TRACETAPE_LIVE_READ_HOSTS = safeHosts.join(',');
    const startedMs = Date.now();
    // A server fixture: once its request is answered, what else of the command runs is stopped.
    const inbound = watchForInboundOutcome(reportFile);
    const outcome = await runHooked({ command, env, cwd, captureStdout: true, stopAfter: { done: inbound.answered, graceMs: STOP_AFTER_ANSWER_MS } }).finally(() =>
      inbound.close(),
    );
    const endedMs = Date.now();
    const report = readReplayReport(reportFile, tape);
    // Stopped by tracetape, or ended as its recording was, the command did not fail: the contract judges the rest.
    const exitEndedByTracetape = endedByTracetape(outcome, report);
    const exitCode = exitEndedByTracetape ? 0 : outcome.exitCode;
    const stdout = outcome.stdout ?? '';
    const { verdict, reasons, clauses } = judgeByContract(
      contract,
      { exitCode, stdout, cwd },
      report,
      tape,
      options.mode,
    );
    const check: FixtureCheck = { contractFile, contract, tape, mode: options.mode, command, verdict, reasons, clauses, exitCode: outcome.exitCode, exitEndedByTracetape, stdout, startedMs, endedMs };
    if (report) check.report = report;
    return check;
  } catch (error) {
    if (error instanceof TracetapeError) throw error;
    throw new ConfigError(`Could not check ${contractFile}: ${(error as Error).message}`);
  } finally {
    scratch.dispose();
  }
}

