import { metrics } from '@opentelemetry/api';

/** What the spool did with spans; `spooled` and `dropped` are what a summary line must tell. */
export interface SpoolStats {
  /** Spans the store acknowledged, directly or from the spool. */
  exported: number;
  /** Spans written to the spool because the store could not take them. */
  spooled: number;
  /** Spans of spooled batches whose send failed and is tried again later. */
  retried: number;
  /** Spans lost because the spool was full or could not be written. */
  dropped: number;
  /** Spans in the spool now, waiting for the store. */
  pending: number;
}

export type SpoolCounter = Exclude<keyof SpoolStats, 'pending'>;

export class SpoolCounters {
  private readonly values: Record<SpoolCounter, number> = { exported: 0, spooled: 0, retried: 0, dropped: 0 };

  constructor(pendingSpans: () => number) {
    // Observable instruments cost nothing until someone installs a MeterProvider; without one
    // the API hands out no-ops, and stats() is the way to read the numbers.
    const meter = metrics.getMeter('tracetape.spool');
    for (const name of Object.keys(this.values) as SpoolCounter[]) {
      meter
        .createObservableCounter(`tracetape.spool.spans.${name}`, { unit: '{span}' })
        .addCallback((result) => result.observe(this.values[name]));
    }
    meter.createObservableGauge('tracetape.spool.spans.pending', { unit: '{span}' }).addCallback((result) => result.observe(pendingSpans()));
  }

  add(name: SpoolCounter, count: number): void {
    this.values[name] += count;
  }

  get(name: SpoolCounter): number {
    return this.values[name];
  }
}
