/** What a spool did with spans; `spooled` and `dropped` are what a summary line must tell. */
export interface SpoolStats {
  /** Spans the destination acknowledged, directly or from the spool. */
  exported: number;
  /** Spans written to the spool because the destination could not take them. */
  spooled: number;
  /** Spans of spooled batches whose send failed and is tried again later. */
  retried: number;
  /** Spans lost because the spool was full or could not be written. */
  dropped: number;
  /** Spans in the spool now, waiting for the destination. */
  pending: number;
}

export type SpoolCounter = Exclude<keyof SpoolStats, 'pending'>;

/** Running totals for one process; export-metrics.ts publishes them as OpenTelemetry counters. */
export class SpoolCounters {
  private readonly values: Record<SpoolCounter, number> = { exported: 0, spooled: 0, retried: 0, dropped: 0 };

  add(name: SpoolCounter, count: number): void {
    this.values[name] += count;
  }

  get(name: SpoolCounter): number {
    return this.values[name];
  }
}
