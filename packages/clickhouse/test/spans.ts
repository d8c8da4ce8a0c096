import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import type { SpanRow } from '../src/index.js';

/** A span row as the store holds it, with empty defaults for every column a test does not set. */
export function spanRow(fields: Partial<SpanRow> & Pick<SpanRow, 'Timestamp' | 'TraceId' | 'SpanId'>): SpanRow {
  return {
    ParentSpanId: '',
    TraceState: '',
    SpanName: 'POST',
    SpanKind: 'Client',
    ServiceName: 'svc',
    ResourceAttributes: {},
    ScopeName: '',
    ScopeVersion: '',
    SpanAttributes: {},
    Duration: '1000',
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
    ...fields,
  };
}

/** A fresh directory for one test file's store (libchdb binds one directory per process). */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tracetape-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const BIG_RESPONSE = JSON.stringify({ status: 200, body: 'x'.repeat(100 * 1024) });

/** Real SDK spans: a root run span and one recorded outbound call with a large response. */
export function recordRun(tracer: Tracer, name = 'agent run'): void {
  const root = tracer.startSpan(name, { kind: SpanKind.SERVER });
  const ctx = trace.setSpan(context.active(), root);
  const call = tracer.startSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_TRACETAPE_RESPONSE]: BIG_RESPONSE,
        [ATTR_TRACETAPE_INPUT_HASH]: 'a'.repeat(64),
        'http.response.status_code': 200,
        'tracetape.test.ratio': 1.5,
        'tracetape.test.tiny': 1.5e-7,
        'tracetape.test.flag': true,
        'tracetape.test.tags': ['a', 'b'],
        'tracetape.test.numbers': [1, 2],
      },
      links: [{ context: root.spanContext(), attributes: { reason: 'follows' } }],
    },
    ctx,
  );
  call.addEvent('retry', { attempt: 2 });
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503' });
  call.end();
  root.end();
}

/** A provider writing to `exporter`; spans are handed over as each one ends. */
export function providerFor(exporter: SpanExporter): TracerProvider {
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
}

/** Finished spans without any store, for exportSync and direct conversions. */
export async function recordInMemory(name?: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = providerFor(memory);
  recordRun(provider.getTracer('tracetape-test', '1.2.3'), name);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}
