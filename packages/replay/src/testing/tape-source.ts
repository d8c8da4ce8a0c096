import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseTape, type Tape } from '@tracetape/core';

/** A tape file (path, relative to the working directory, or file: URL) or an already parsed tape. */
export type TapeSource = string | URL | Tape;

export interface LoadedTape {
  tape: Tape;
  /** How errors name the tape: its file, or its trace ID. */
  label: string;
  /** The file it came from, if it came from one. */
  file?: string;
}

export function loadTape(source: TapeSource): LoadedTape {
  if (typeof source !== 'string' && !(source instanceof URL)) {
    return { tape: parseTape(JSON.stringify(source), `tape of trace ${source.traceId}`), label: `trace ${source.traceId}` };
  }
  const file = source instanceof URL ? fileURLToPath(source) : path.resolve(source);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `Cannot read the tape file ${file}: ${(error as Error).message}. Write one with \`tracetape fixture <traceId> -o <dir>\`.`,
    );
  }
  return { tape: parseTape(text, file), label: file, file };
}
