import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseContract, type Contract } from '@tracetape/core';

export { judgeByContract, type ContractJudgement } from '../contract-judgement.js';

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
