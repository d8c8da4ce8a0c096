import fs from 'node:fs';
import { HANDED_OVER_TAPE_ENV, sha256Hex, TAPE_FAILED_SUFFIX, TAPE_PENDING_ENV, TAPE_SHA256_SUFFIX, type Tape } from '@tracetape/core';

/**
 * How `tracetape replay` hands its child the tape: unsigned, with the SHA-256 of the file's bytes,
 * which the hook checks instead of a signature (it spares both processes the canonical JSON of the
 * whole tape). Either the tape is written before the child starts (`written`), or the child starts
 * first (`pending`) and the hook waits for the file while it loads, which overlaps the store's
 * opening and the tape's reading with the hook's start.
 */
export class TapeHandover {
  constructor(readonly file: string) {}

  /** The child's variables for a tape already written by {@link deliver}. */
  writtenEnv(tapeText: string): Record<string, string> {
    return { TRACETAPE_TAPE: this.file, [HANDED_OVER_TAPE_ENV]: sha256Hex(tapeText) };
  }

  /** The child's variables for a tape still being built: the hook waits for it. */
  pendingEnv(): Record<string, string> {
    return { TRACETAPE_TAPE: this.file, [TAPE_PENDING_ENV]: String(process.pid) };
  }

  /** Writes the tape whole (a rename, so a waiting hook never reads half of it), its hash first. */
  deliver(tape: Tape): string {
    // As it is in memory (the newest version): the hook that reads it is this install's own.
    const text = JSON.stringify(tape);
    fs.writeFileSync(this.file + TAPE_SHA256_SUFFIX, sha256Hex(text));
    fs.writeFileSync(`${this.file}.partial`, text);
    fs.renameSync(`${this.file}.partial`, this.file);
    return text;
  }

  /** Tells a waiting hook there will be no tape: it exits before the app runs. */
  fail(): void {
    fs.writeFileSync(this.file + TAPE_FAILED_SUFFIX, '');
  }
}
