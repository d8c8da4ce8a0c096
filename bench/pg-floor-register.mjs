// The floor of the database capture benchmark: the official OpenTelemetry pg instrumentation with
// the least a recorder of every query must do on top of it, and nothing more: hash the statement
// and parameters, keep the rows as JSON on the span, and append each batch of spans to a file as
// JSON lines. No redaction, no normalisation, no clock or random reads, no store format.
// Usage: TRACETAPE_FLOOR_FILE=out.jsonl node --import ./bench/pg-floor-register.mjs app.mjs
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { register as registerLoaderHook } from 'node:module';
import { ExportResultCode } from '@opentelemetry/core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
registerLoaderHook('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const fd = fs.openSync(process.env.TRACETAPE_FLOOR_FILE ?? '/dev/null', 'a');
const toFile = {
  export: (spans, resultCallback) => {
    let lines = '';
    for (const span of spans) lines += `${JSON.stringify({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, name: span.name, attributes: span.attributes })}\n`;
    fs.writeSync(fd, lines);
    resultCallback({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

const instrumentation = new PgInstrumentation({
  requestHook: (span, { query }) => {
    const request = JSON.stringify({ text: query.text, values: query.values ?? [] });
    span.setAttribute('floor.request', request);
    span.setAttribute('floor.input_hash', createHash('sha256').update(request).digest('hex'));
  },
  responseHook: (span, { data }) => {
    span.setAttribute('floor.response', JSON.stringify({ rows: data.rows, rowCount: data.rowCount }));
  },
});

const sdk = new NodeSDK({
  serviceName: 'bench-pg',
  spanProcessors: [new BatchSpanProcessor({ exporter: toFile })],
  instrumentations: [instrumentation],
});
sdk.start();
process.once('beforeExit', () => void sdk.shutdown());
