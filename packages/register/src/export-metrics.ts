import { metrics, type MeterProvider } from '@opentelemetry/api';

/** What became of the spans this process recorded, so far. */
export interface ExportCounts {
  /** Acknowledged by the store or collector, directly or from the spool. */
  exported: number;
  /** Written to the spool because the store or collector could not take them. */
  spooled: number;
  /** Spans of spooled batches whose send failed and is tried again later. */
  retried: number;
  /** Lost: refused, the in-memory queue or the spool was full, or the spool could not be written. */
  dropped: number;
  /** In the spool now, waiting. */
  pending: number;
}

export const METER_NAME = 'tracetape';

/**
 * Publishes ExportCounts as OpenTelemetry observable instruments on the global MeterProvider:
 * `tracetape.spans.exported|spooled|retried|dropped` (counters) and `tracetape.spans.pending`
 * (a gauge). Without a MeterProvider they cost nothing. The metrics API has no proxy provider, so
 * instruments made before a provider is installed stay no-ops: bind() registers again whenever
 * the global provider changed (OTEL_METRICS_EXPORTER set up by the SDK at start, or one the app
 * installs later), and the exporter calls it on every batch.
 */
export class ExportMetrics {
  private boundTo: MeterProvider | undefined;

  constructor(private readonly read: () => ExportCounts) {}

  bind(): void {
    const provider = metrics.getMeterProvider();
    if (provider === this.boundTo) return;
    this.boundTo = provider;
    const meter = provider.getMeter(METER_NAME);
    const counter = (name: Exclude<keyof ExportCounts, 'pending'>, description: string) =>
      meter.createObservableCounter(`tracetape.spans.${name}`, { unit: '{span}', description });
    const exported = counter('exported', 'Spans the store or collector acknowledged, directly or from the spool');
    const spooled = counter('spooled', 'Spans written to the on-disk spool (TRACETAPE_SPOOL_DIR) while the store or collector was unreachable');
    const retried = counter('retried', 'Spans of spooled batches whose send failed and will be tried again');
    const dropped = counter('dropped', 'Spans lost: refused, or the queue or spool was full');
    const pending = meter.createObservableGauge('tracetape.spans.pending', { unit: '{span}', description: 'Spans in the spool, waiting to be sent' });
    // One read per collection: counting what is pending lists the spool directory.
    meter.addBatchObservableCallback(
      (result) => {
        const counts = this.read();
        result.observe(exported, counts.exported);
        result.observe(spooled, counts.spooled);
        result.observe(retried, counts.retried);
        result.observe(dropped, counts.dropped);
        result.observe(pending, counts.pending);
      },
      [exported, spooled, retried, dropped, pending],
    );
  }
}
