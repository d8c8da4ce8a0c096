/** What this process's shipping did, in spans, for the metrics and the end-of-run line. */
export interface ShippingCounts {
  /** Acknowledged by the destination (other processes' leftovers included, when this one sent them). */
  exported: number;
  /** Held in the log through an outage: waiting when a delivery failed, each span counted once. */
  spooled: number;
  /** Waiting in the log at a delivery that failed, counted at every failed try. */
  retried: number;
  /** Refused for good by the destination: lost. */
  refused: number;
}

export function zeroCounts(): ShippingCounts {
  return { exported: 0, spooled: 0, retried: 0, refused: 0 };
}
