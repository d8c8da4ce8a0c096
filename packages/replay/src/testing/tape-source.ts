import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseTape, type Tape } from '@tracetape/core';
import { checkTapeSize, TracetapeError } from '@tracetape/core';

/** A tape file (path, relative to the working directory, or file: URL) or an already parsed tape. */
export type TapeSource = string | URL | Tape;

export interface LoadedTape {
  tape: Tape;
  /** How errors name the tape: its file, or its trace ID. */
  label: string;
  /** The file it came from, if it came from one. */
  file?: string;
}

export interface LoadTapeOptions {
  /** Accept a tape file whose checksum is missing or does not match (a fixture edited by hand). */
  allowModified?: boolean | undefined;
}

export function loadTape(source: TapeSource, options: LoadTapeOptions = {}): LoadedTape {
  if (typeof source !== 'string' && !(source instanceof URL)) {
    // A tape built in memory has no file to be tampered with: a checksum is verified only if it carries one.
    const tape = parseTape(JSON.stringify(source), `tape of trace ${source.traceId}`, { allowUnsigned: true, allowModified: options.allowModified ?? false });
    return { tape, label: `trace ${source.traceId}` };
  }
  const file = source instanceof URL ? fileURLToPath(source) : path.resolve(source);
  let text: string;
  try {
    checkTapeSize(fs.statSync(file).size, file);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof TracetapeError) throw error; // the size check's own answer
    throw new ConfigError(
      `Cannot read the tape file ${file}: ${(error as Error).message}. Write one with \`tracetape fixture <traceId> -o <dir>\`.`,
    );
  }
  return { tape: parseTape(text, file, { allowModified: options.allowModified ?? false }), label: file, file };
}
