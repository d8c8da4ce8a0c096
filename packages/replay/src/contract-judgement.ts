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
  run: { exitCode: number; stdout: string; readFile(path: string): string | undefined },
  report: ReplayReport | undefined,
  tape: Tape,
  mode: CheckMode,
): ContractJudgement {
  const clauses = checkContract(contract, { ...run, sideEffects: report ? observedSideEffects(report, tape) : [] });
  return { ...contractVerdict(clauses, report, mode), clauses };
}
