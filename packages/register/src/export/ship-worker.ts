/**
 * Child process behind the exit path's last shipping attempt: a process 'exit' handler cannot
 * wait for HTTP, but it can block on a child that does. Reads a ShipJob as JSON on stdin, runs
 * passes until the log is shipped, the destination fails, or the budget is spent, and prints a
 * ShipVerdict as JSON. What it does not deliver stays in the log; if it is killed mid-insert, the
 * insert announced in the ingest state is redone by the next shipper, exactly.
 */
import { emptyReport, isUnreachable, type ShipReport } from './log-shipper.js';
import type { ShipJob, ShipVerdict } from './ship-verdict.js';
import { createShipper } from './shipping-target.js';

/** Time kept back to answer before the parent's bound kills the worker. */
const ANSWER_MARGIN_MS = 300;
const BUSY_POLL_MS = 50;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function merge(into: ShipReport, report: ShipReport): void {
  into.shipped += report.shipped;
  into.removedSegments += report.removedSegments;
  into.refused.push(...report.refused);
  into.skipped.push(...report.skipped);
}

async function main(): Promise<ShipVerdict> {
  const job = JSON.parse(await readStdin()) as ShipJob;
  const deadline = Date.now() + Math.max(100, job.budgetMs - ANSWER_MARGIN_MS);
  const verdict: ShipVerdict = { report: emptyReport() };
  const target = job.target;
  if (target.kind === 'otlp') {
    // The shipper probes before its first send; the sends themselves must end before the worker is killed.
    target.timeoutMs = Math.max(100, Math.min(target.timeoutMs ?? Infinity, deadline - Date.now()));
  }
  const shipper = createShipper(target, job.logDir);
  try {
    for (;;) {
      const report = await shipper.ship();
      merge(verdict.report, report);
      if (report.busyPid === undefined) {
        delete verdict.busyPid;
        return verdict;
      }
      verdict.busyPid = report.busyPid;
      // The other process is shipping (this log included): wait for it while there is time.
      if (Date.now() + BUSY_POLL_MS >= deadline) return verdict;
      await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
    }
  } catch (error) {
    verdict.failure = { unreachable: isUnreachable(error), message: error instanceof Error ? error.message : String(error) };
    return verdict;
  }
}

main().then(
  (verdict) => process.stdout.write(`${JSON.stringify(verdict)}\n`, () => process.exit(0)),
  (error: unknown) => {
    process.stderr.write(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
