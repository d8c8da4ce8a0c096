import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkContract,
  ConfigError,
  contractVerdict,
  observedSideEffects,
  parseContract,
  type CheckMode,
  type ClauseResult,
  type Contract,
  type ReplayReport,
  type Tape,
  type Verdict,
} from '@tracetape/core';

/** A contract file (path or file URL, as `tracetape fixture` writes it), or a contract object. */
export type ContractSource = string | URL | Contract;

/** The contract, checked as `tracetape check` checks it: a malformed one is refused with its JSON path. */
export function loadContract(source: ContractSource): Contract {
  if (typeof source === 'object' && !(source instanceof URL)) return parseContract(JSON.stringify(source), 'the contract given');
  const file = source instanceof URL ? fileURLToPath(source) : source;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the contract ${file}: ${(error as Error).message}.`);
  }
  return parseContract(text, file);
}

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
