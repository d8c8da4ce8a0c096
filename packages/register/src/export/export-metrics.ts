import { metrics, type MeterProvider } from '@opentelemetry/api';

/** What became of the spans this process recorded, so far. */
export interface ExportCounts {
  /** Acknowledged by the ClickHouse server or collector the log is shipped to (with the embedded store: written to the log). */
  exported: number;
  /** Held in the recording log through an outage: waiting when a delivery failed, each span counted once. */
  spooled: number;
  /** Spans waiting in the log at a delivery that failed, counted at every failed try. */
  retried: number;
  /** Lost: the in-memory queue was full, the log could not take them, or the destination refused them for good. */
  dropped: number;
  /** In the recording log now, waiting to be shipped. */
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
    const exported = counter('exported', 'Spans the ClickHouse server or collector acknowledged (embedded store: spans written to the recording log)');
    const spooled = counter('spooled', 'Spans held in the recording log (TRACETAPE_LOG_DIR) while the server or collector was unreachable');
    const retried = counter('retried', 'Spans waiting in the recording log when a delivery failed, to be tried again');
    const dropped = counter('dropped', 'Spans lost: the queue or the recording log was full, or the destination refused them');
    const pending = meter.createObservableGauge('tracetape.spans.pending', { unit: '{span}', description: 'Spans in the recording log, waiting to be shipped' });
    // One read per collection: counting what is pending reads what was appended to the log since.
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
