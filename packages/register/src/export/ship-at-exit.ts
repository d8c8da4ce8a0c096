import { runSyncWorkerWithOutput } from '@tracetape/clickhouse';
import { IngestLock } from '@tracetape/log';
import { emptyReport } from './log-shipper.js';
import type { ShipJob, ShipVerdict } from './ship-verdict.js';
import type { ShippingTarget } from './shipping-target.js';

const WORKER = new URL('./ship-worker.js', import.meta.url);

/**
 * The 'exit' event's last try: one bounded shipping run in a child process (nothing asynchronous
 * runs in this one any more). A pass of this process that was still running is abandoned first:
 * its lock is taken back so the worker can redo it, exactly (the same announced insert, or the
 * same request the collector recognises).
 */
export function shipAtExit(target: ShippingTarget, logDir: string, budgetMs: number, worker: URL = WORKER): ShipVerdict {
  releaseOwnLock(logDir);
  const job: ShipJob = { target, logDir, budgetMs };
  const outcome = runSyncWorkerWithOutput(worker, job, budgetMs, 'last shipping of the recording log');
  const last = outcome.stdout.trim().split('\n').at(-1) ?? '';
  try {
    if (last) return JSON.parse(last) as ShipVerdict;
  } catch {
    // Not a verdict: the failure below says what happened.
  }
  // Killed at the bound, or it could not start: nothing is known to be delivered; the log keeps it all.
  return { report: emptyReport(), failure: { unreachable: true, message: outcome.failure ?? 'the shipping worker said nothing' } };
}

/** The lock file names this process only when a pass of its own was cut short; others' locks are left alone. */
function releaseOwnLock(logDir: string): void {
  try {
    const lock = new IngestLock(logDir);
    // Taking it succeeds only when it is free or ours (a lock naming this pid is not held by this instance).
    if (lock.tryAcquire()) lock.release();
  } catch {
    // The worker finds it busy and says so.
  }
}
