/** What the exit path needs of a spool, whichever destination it keeps batches for. */
export interface ClosableSpool {
  readonly dir: string;
  /** Keeps batches still in flight on disk; throws the file system's error. */
  closeSync(): void;
  summary(): string | undefined;
}

/** The 'exit' end of the spool: keep what is still in flight on disk, then say what is left or lost. */
export function closeSpool(spool: ClosableSpool): void {
  try {
    spool.closeSync();
  } catch (error) {
    process.stderr.write(`tracetape: could not write the spool ${spool.dir}: ${(error as Error).message}\n`);
  }
  const line = spool.summary();
  if (line) process.stderr.write(`${line}\n`);
}
