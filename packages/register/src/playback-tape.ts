import fs from 'node:fs';
import { checkTapeSize, HANDED_OVER_TAPE_ENV, parseTape, sha256Hex, TAPE_PENDING_ENV, TAPE_SHA256_SUFFIX, type Tape } from '@tracetape/core';

/**
 * The tape a replayed process answers from. `tracetape replay` hands its tape over unsigned, with
 * the SHA-256 of the bytes it wrote (HANDED_OVER_TAPE_ENV): a file that matches it is the CLI's
 * own, checked before it was written, and is read without recomputing a checksum over the whole
 * tape. Any other file (a hook run by hand, a tape changed since) must carry a valid checksum.
 */
export function readPlaybackTape(tapePath: string, env: NodeJS.ProcessEnv = process.env, warn = (message: string) => process.stderr.write(`tracetape: warning: ${message}\n`)): Tape {
  // Refused by its size before it is read: parsing takes several times a tape's size in memory.
  checkTapeSize(fs.statSync(tapePath).size, tapePath);
  const text = fs.readFileSync(tapePath, 'utf8');
  // Started before the tape was built, the hook finds the hash beside the tape instead.
  const handedOver = env[HANDED_OVER_TAPE_ENV] ?? (env[TAPE_PENDING_ENV] ? readIfThere(tapePath + TAPE_SHA256_SUFFIX) : undefined);
  const fromTheCli = handedOver !== undefined && sha256Hex(text) === handedOver;
  return parseTape(text, tapePath, {
    allowModified: env.TRACETAPE_ALLOW_MODIFIED_TAPE === '1',
    allowUnsigned: fromTheCli,
    ...(fromTheCli ? {} : { onWarning: warn }),
  });
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
