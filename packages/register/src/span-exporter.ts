import { ClickHouseSpanExporter, openStore, storeOptionsFromEnv } from '@tracetape/clickhouse';
import type { SyncCapableExporter } from './buffered-export-processor.js';
import type { RegisterConfig } from './config.js';
import { OtlpSpanExporter } from './otlp-span-exporter.js';
import { otlpTargetFromEnv } from './otlp-target.js';
import { SpoolingSpanStore } from './spool/spooling-store.js';

export interface SpanExport {
  exporter: SyncCapableExporter;
  /** Set when spans go to a ClickHouse server: what it cannot take waits on disk. */
  spool?: SpoolingSpanStore;
}

/** Where captured spans go: straight into the store, or over OTLP to a collector. */
export function createSpanExporter(config: RegisterConfig): SyncCapableExporter {
  return createSpanExport(config).exporter;
}

export function createSpanExport(config: RegisterConfig): SpanExport {
  if (config.exporter === 'otlp') {
    const timeoutSet = Boolean(process.env.OTEL_EXPORTER_OTLP_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT);
    const exporter = new OtlpSpanExporter({
      target: otlpTargetFromEnv(),
      syncTimeoutMs: config.flushTimeoutMs,
      ...(timeoutSet ? {} : { timeoutMs: config.flushTimeoutMs }),
    });
    return { exporter };
  }
  const options = storeOptionsFromEnv();
  const store = openStore(options);
  // Only a server can be away for a while; the embedded store is a directory on this machine.
  if (!options.url) return { exporter: new ClickHouseSpanExporter({ store }) };
  const spool = new SpoolingSpanStore(store, { dir: config.spoolDir, maxBytes: config.spoolMaxBytes });
  spool.start();
  return { exporter: new ClickHouseSpanExporter({ store: spool }), spool };
}
