import fs from 'node:fs';
import path from 'node:path';
import {
  checkContract,
  contractVerdict,
  observedSideEffects,
  type CheckMode,
  type ClauseResult,
  type Contract,
  type ReplayReport,
  type Tape,
  type Verdict,
} from '@tracetape/core';

export interface ContractJudgement {
  verdict: Verdict;
  reasons: string[];
  clauses: ClauseResult[];
}

/** The same judgement `tracetape check` makes, from what a replay in a test observed. */
export function judgeByContract(
  contract: Contract,
  run: { exitCode: number; stdout: string; /** Where the contract's file outputs are read from. */ cwd: string },
  report: ReplayReport | undefined,
  tape: Tape,
  mode: CheckMode,
): ContractJudgement {
  const clauses = checkContract(contract, {
    exitCode: run.exitCode,
    stdout: run.stdout,
    readFile: (file) => readIfThere(path.resolve(run.cwd, file)),
    sideEffects: report ? observedSideEffects(report, tape) : [],
  });
  return { ...contractVerdict(clauses, report, mode), clauses };
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
