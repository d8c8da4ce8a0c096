import { ClickHouseSpanExporter, openStore, storeOptionsFromEnv } from '@tracetape/clickhouse';
import { LogWriter } from '@tracetape/log';
import { LogSpanExporter, type TraceLoss } from './export/log-span-exporter.js';
import type { SyncCapableExporter } from './buffered-export-processor.js';
import type { RegisterConfig } from './config.js';
import { ExportMetrics, type ExportCounts } from './export-metrics.js';
import { OtlpSpanExporter } from './otlp-span-exporter.js';
import { otlpTargetFromEnv } from './otlp-target.js';
import type { ClosableSpool } from './spool/close-spool.js';
import { SpoolingSpanStore } from './spool/spooling-store.js';

export interface SpanExport {
  exporter: SyncCapableExporter;
  /** Set when spans go to a ClickHouse server or an OTLP collector: what it cannot take waits on disk. */
  spool?: ClosableSpool;
  /** The counters, published as OpenTelemetry metrics. */
  metrics: ExportMetrics;
  /** Set when spans go to the recording log: what it could not take, per trace. */
  log?: LogSpanExporter;
}

type Delivered = Omit<ExportCounts, 'dropped'>;

/** Where captured spans go: straight into the store, or over OTLP to a collector. */
export function createSpanExporter(config: RegisterConfig): SyncCapableExporter {
  return createSpanExport(config).exporter;
}

/**
 * `droppedSpans` reads the drops the exporter cannot see (the in-memory queue's), which include
 * every batch the exporter failed: together they are all the spans lost.
 */
export function createSpanExport(config: RegisterConfig, droppedSpans: () => number = () => 0): SpanExport {
  const { exporter, spool, delivered, log } = createDestination(config);
  const metrics = new ExportMetrics(() => ({ ...delivered(), dropped: droppedSpans() }));
  // The SDK, started right after this, installs the MeterProvider OTEL_METRICS_EXPORTER asks for.
  queueMicrotask(() => metrics.bind());
  return { exporter: rebindingMetrics(exporter, metrics), ...(spool ? { spool } : {}), ...(log ? { log } : {}), metrics };
}

export type { TraceLoss };

function createDestination(config: RegisterConfig): {
  exporter: SyncCapableExporter;
  spool?: ClosableSpool;
  delivered: () => Delivered;
  log?: LogSpanExporter;
} {
  if (config.exporter === 'otlp') {
    const timeoutSet = Boolean(process.env.OTEL_EXPORTER_OTLP_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT);
    const exporter = new OtlpSpanExporter({
      target: otlpTargetFromEnv(),
      syncTimeoutMs: config.flushTimeoutMs,
      ...(timeoutSet ? {} : { timeoutMs: config.flushTimeoutMs }),
      spoolDir: config.spoolDir,
      spoolMaxBytes: config.spoolMaxBytes,
    });
    exporter.spool.start();
    return { exporter, spool: exporter.spool, delivered: () => exporter.spool.stats() };
  }
  const options = storeOptionsFromEnv();
  // The embedded store: the app only appends to the log; readers move it into the engine.
  if (!options.url) {
    const log = new LogSpanExporter(new LogWriter({ dir: config.logDir, maxBytes: config.logMaxBytes }));
    return { exporter: log, log, delivered: () => ({ exported: log.stats().written, spooled: 0, retried: 0, pending: 0 }) };
  }
  const store = openStore(options);
  const spool = new SpoolingSpanStore(store, { dir: config.spoolDir, maxBytes: config.spoolMaxBytes });
  spool.start();
  return { exporter: new ClickHouseSpanExporter({ store: spool }), spool, delivered: () => spool.stats() };
}

/** A MeterProvider the app installs after the hook started is found at the next batch. */
function rebindingMetrics(exporter: SyncCapableExporter, metrics: ExportMetrics): SyncCapableExporter {
  return {
    export: (spans, resultCallback) => {
      metrics.bind();
      exporter.export(spans, resultCallback);
    },
    ...(exporter.exportSync ? { exportSync: exporter.exportSync.bind(exporter) } : {}),
    ...(exporter.shutdownSync ? { shutdownSync: exporter.shutdownSync.bind(exporter) } : {}),
    ...(exporter.forceFlush ? { forceFlush: exporter.forceFlush.bind(exporter) } : {}),
    shutdown: () => exporter.shutdown(),
  };
}
