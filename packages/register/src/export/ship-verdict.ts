import type { ShipReport } from './log-shipper.js';

/** What the exit worker did, printed as its last stdout line. */
export interface ShipVerdict {
  report: ShipReport;
  failure?: { unreachable: boolean; message: string };
  /** Another process held the log the whole time. */
  busyPid?: number;
}

/** The job the exit worker reads on stdin. */
export interface ShipJob {
  target: import('./shipping-target.js').ShippingTarget;
  logDir: string;
  /** The worker is killed at this bound; it aims to answer before it. */
  budgetMs: number;
}
