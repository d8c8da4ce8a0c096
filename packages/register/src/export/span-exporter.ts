import { storeOptionsFromEnv } from '@tracetape/clickhouse';
import { LogWriter } from '@tracetape/log';
import type { StagingExporter, SyncCapableExporter } from './buffered-export-processor.js';
import type { RegisterConfig } from '../config.js';
import { ExportMetrics, type ExportCounts } from './export-metrics.js';
import { outsideRuns } from './internal-context.js';
import { LogShipping } from './log-shipping.js';
import { LogSpanExporter, type TraceLoss } from './log-span-exporter.js';
import { OtlpJsonEncoder, RowsEncoder } from './record-encoders.js';
import type { ShippingTarget } from './shipping-target.js';
import { otlpTargetFromEnv } from '../otlp-target.js';
import { logSettingsFromEnv } from '../log-settings.js';

export interface SpanExport {
  exporter: StagingExporter;
  /** The counters, published as OpenTelemetry metrics. */
  metrics: ExportMetrics;
  /** The recording log every span goes to first: what it could not take, per trace. */
  log: LogSpanExporter;
  /** Set when the log is shipped on to a ClickHouse server or an OTLP collector. */
  shipping?: LogShipping;
}

type Delivered = Omit<ExportCounts, 'dropped'> & { refused: number };

/** Where captured spans go: the recording log, shipped on when the store is a server or a collector. */
export function createSpanExporter(config: RegisterConfig): SyncCapableExporter {
  return createSpanExport(config).exporter;
}

/**
 * `droppedSpans` reads the drops the exporter cannot see (the in-memory queue's), which include
 * every batch the exporter failed: together with what a destination refused, all the spans lost.
 */
export function createSpanExport(config: RegisterConfig, droppedSpans: () => number = () => 0): SpanExport {
  const target = shippingTarget(config);
  const { logDir, logMaxBytes } = logSettingsFromEnv();
  // The embedded store's log holds its own rows; a shipped log, OTLP as servers and collectors take it.
  const log = new LogSpanExporter(new LogWriter({ dir: logDir, maxBytes: logMaxBytes }), target ? new OtlpJsonEncoder() : new RowsEncoder());
  // The embedded store: readers move the log into the engine; appending is all the app does.
  let delivered = (): Delivered => ({ exported: log.stats().written, spooled: 0, retried: 0, pending: 0, refused: 0 });
  let shipping: LogShipping | undefined;
  if (target) {
    const started = new LogShipping({ target, logDir, exitBudgetMs: config.flushTimeoutMs });
    started.start();
    shipping = started;
    delivered = () => started.stats();
  }
  const metrics = new ExportMetrics(() => {
    const { refused, ...counts } = delivered();
    return { ...counts, dropped: droppedSpans() + refused };
  });
  // The SDK, started right after this, installs the MeterProvider OTEL_METRICS_EXPORTER asks for.
  queueMicrotask(() => metrics.bind());
  return { exporter: wrapped(log, metrics, shipping), log, ...(shipping ? { shipping } : {}), metrics };
}

export type { TraceLoss };

/** The destination past the log, or none for the embedded store. */
function shippingTarget(config: RegisterConfig): ShippingTarget | undefined {
  if (config.exporter === 'otlp') {
    // An export still running when the app is done holds the process until it gives up: by
    // default the flush timeout bounds it, not the exporter's 10 s (the OTLP variables still win).
    const timeoutSet = Boolean(process.env.OTEL_EXPORTER_OTLP_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT);
    return { kind: 'otlp', target: otlpTargetFromEnv(), ...(timeoutSet ? {} : { timeoutMs: config.flushTimeoutMs }) };
  }
  const store = storeOptionsFromEnv();
  return store.url ? { kind: 'server', store } : undefined;
}

/**
 * Each batch: the metrics find a MeterProvider the app installed after the hook started, the
 * append runs outside the app's runs (its clock reads are not the app's), and the shipper hears
 * there is something new.
 */
function wrapped(exporter: LogSpanExporter, metrics: ExportMetrics, shipping: LogShipping | undefined): StagingExporter {
  return {
    stage: (spans) => outsideRuns(() => exporter.stage(spans)),
    commit: () => {
      metrics.bind();
      const result = outsideRuns(() => exporter.commit());
      shipping?.nudge();
      return result;
    },
    get stagedSpans() {
      return exporter.stagedSpans;
    },
    export: (spans, resultCallback) => {
      metrics.bind();
      outsideRuns(() => exporter.export(spans, resultCallback));
      shipping?.nudge();
    },
    exportSync: exporter.exportSync.bind(exporter),
    shutdownSync: exporter.shutdownSync.bind(exporter),
    forceFlush: exporter.forceFlush.bind(exporter),
    shutdown: () => exporter.shutdown(),
  };
}
