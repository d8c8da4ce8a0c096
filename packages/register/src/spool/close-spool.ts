import type { SpoolingSpanStore } from './spooling-store.js';

/** The 'exit' end of the spool: keep what is still in flight on disk, then say what is left or lost. */
export function closeSpool(spool: SpoolingSpanStore): void {
  try {
    spool.closeSync();
  } catch (error) {
    process.stderr.write(`tracetape: could not write the spool ${spool.spoolDir}: ${(error as Error).message}\n`);
  }
  const line = spool.summary();
  if (line) process.stderr.write(`${line}\n`);
}
