import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, DEFAULT_CLAIMS_FILE, parseClaimsConfig, type ClaimsConfig } from '@tracetape/core';

/** A claims mapping and the file it came from, which findings name so the heuristic is never anonymous. */
export interface LoadedClaims {
  file: string;
  config: ClaimsConfig;
}

/** Reads and checks a claims file; a missing or malformed one is refused with what to fix. */
export function loadClaimsFile(file: string): LoadedClaims {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the claims file ${file}: ${(error as Error).message}. Write one as docs/findings.md shows, or leave out --claims.`);
  }
  return { file, config: parseClaimsConfig(text, file) };
}

/**
 * The claims mapping to check runs against: the file named (`--claims`), else `TRACETAPE_CLAIMS`,
 * else `tracetape.claims.json` in the working directory when there is one. Undefined when none is
 * configured: the check is then not run, and says so, rather than guessing phrases for an app it
 * does not know.
 */
export function findClaimsFile(named: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedClaims | undefined {
  const explicit = named ?? (env.TRACETAPE_CLAIMS || undefined);
  if (explicit !== undefined) return loadClaimsFile(explicit);
  const local = path.join(cwd, DEFAULT_CLAIMS_FILE);
  return fs.existsSync(local) ? loadClaimsFile(local) : undefined;
}
