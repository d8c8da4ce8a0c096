// Variant (b) of the benchmark: plain OpenTelemetry, set up the way tracetape's register hook sets
// it up (NodeSDK, HTTP + undici instrumentation, ESM loader hook, metrics and logs off) minus the
// capture, so "tracetape vs plain OTel" isolates what capture and the ClickHouse export cost.
// Usage: node --import ./bench/plain-otel-register.mjs app.mjs
import { register as registerLoaderHook } from 'node:module';
import { ExportResultCode } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
// The service imports node:http as ESM before any patch could run; without this hook the HTTP
// instrumentation would never see it and this variant would measure almost nothing.
registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

// Spans are batched and handed over exactly as a real exporter would receive them, then dropped:
// the baseline pays for span creation and batching but not for any particular backend.
class NoopSpanExporter {
  exported = 0;
  export(spans, resultCallback) {
    this.exported += spans.length;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

const sdk = new NodeSDK({
  serviceName: 'bench-service',
  // 3.x takes an options object ({ exporter }), not the exporter itself.
  spanProcessors: [new BatchSpanProcessor({ exporter: new NoopSpanExporter() })],
  instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
});
sdk.start();
