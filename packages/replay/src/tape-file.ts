import fs from 'node:fs';
import { checkTapeSize, ConfigError, parseTape, TracetapeError, type Tape } from '@tracetape/core';

export interface ReadTapeFileOptions {
  allowModified?: boolean;
}

/** A tape file, refused by its size before it is read (a tape is parsed whole), then parsed and checked. */
export function readTapeFile(file: string, options: ReadTapeFileOptions = {}): Tape {
  let text: string;
  try {
    checkTapeSize(fs.statSync(file).size, file);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof TracetapeError) throw error; // the size check's own answer
    throw new ConfigError(`Cannot read the tape file ${file}: ${(error as Error).message}. Write one with \`tracetape tape <traceId> -o <file>\`.`);
  }
  return parseTape(text, file, {
    allowModified: options.allowModified ?? false,
    onWarning: (message) => process.stderr.write(`tracetape: warning: ${message}\n`),
  });
}
