// The baseline of the database capture benchmark: the official OpenTelemetry pg instrumentation
// alone, in a NodeSDK set up as tracetape's hook sets it up, its spans batched and dropped.
// Usage: node --import ./bench/pg-otel-register.mjs app.mjs
import { register as registerLoaderHook } from 'node:module';
import { ExportResultCode } from '@opentelemetry/core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const dropped = {
  export: (spans, resultCallback) => resultCallback({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

const sdk = new NodeSDK({
  serviceName: 'bench-pg',
  spanProcessors: [new BatchSpanProcessor({ exporter: dropped })],
  instrumentations: [new PgInstrumentation()],
});
sdk.start();
process.once('beforeExit', () => void sdk.shutdown());
