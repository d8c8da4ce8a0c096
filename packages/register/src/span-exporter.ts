import { ClickHouseSpanExporter, openStore, storeOptionsFromEnv } from '@tracetape/clickhouse';
import type { SyncCapableExporter } from './buffered-export-processor.js';
import type { RegisterConfig } from './config.js';
import { OtlpSpanExporter } from './otlp-span-exporter.js';
import { otlpTargetFromEnv } from './otlp-target.js';

/** Where captured spans go: straight into the store, or over OTLP to a collector. */
export function createSpanExporter(config: RegisterConfig): SyncCapableExporter {
  if (config.exporter === 'otlp') {
    const timeoutSet = Boolean(process.env.OTEL_EXPORTER_OTLP_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT);
    return new OtlpSpanExporter({
      target: otlpTargetFromEnv(),
      syncTimeoutMs: config.flushTimeoutMs,
      ...(timeoutSet ? {} : { timeoutMs: config.flushTimeoutMs }),
    });
  }
  return new ClickHouseSpanExporter({ store: openStore(storeOptionsFromEnv()) });
}
