import path from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { RealRandomIdGenerator, RunContextManager } from '@tracetape/instrumentation';
import { describe, expect, it } from 'vitest';
import { logSettingsFromEnv } from '../src/log-settings.js';
import { startTracesOnly } from '../src/traces-only-sdk.js';

// The replay's trace setup: what NodeSDK.start() does for traces, without its other packages.
describe('startTracesOnly', () => {
  it('registers the tracer provider, context manager and W3C propagation the SDK would', () => {
    const ended: ReadableSpan[] = [];
    const processor: SpanProcessor = {
      onStart: () => undefined,
      onEnd: (span) => void ended.push(span),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    startTracesOnly({
      contextManager: new RunContextManager(),
      idGenerator: new RealRandomIdGenerator(),
      spanProcessors: [processor],
      instrumentations: [],
      resource: resourceFromAttributes({ 'tracetape.process.path': '0' }),
      serviceName: 'replayed-app',
    });

    const parent = trace.getTracer('test').startSpan('run', { root: true });
    const carrier: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), parent), () => {
      trace.getTracer('test').startSpan('call').end();
      propagation.inject(context.active(), carrier);
    });
    parent.end();

    expect(ended.map((span) => span.name)).toEqual(['call', 'run']);
    expect(ended[0]!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(ended[1]!.resource.attributes['service.name']).toBe('replayed-app');
    expect(ended[1]!.resource.attributes['tracetape.process.path']).toBe('0');
    expect(carrier.traceparent).toContain(parent.spanContext().traceId);
  });
});

// Read only when recording: a replay does not load the store and log packages.
describe('logSettingsFromEnv', () => {
  it('puts the log beside the embedded store, or where TRACETAPE_LOG_DIR says', () => {
    expect(logSettingsFromEnv({ TRACETAPE_DIR: '/tmp/store' }).logDir.startsWith(path.resolve('/tmp/store'))).toBe(true);
    expect(logSettingsFromEnv({ TRACETAPE_LOG_DIR: 'somewhere' })).toEqual({ logDir: path.resolve('somewhere'), logMaxBytes: 1024 * 1024 * 1024 });
    expect(() => logSettingsFromEnv({ TRACETAPE_LOG_MAX_BYTES: 'lots' })).toThrow(/TRACETAPE_LOG_MAX_BYTES/);
  });
});
