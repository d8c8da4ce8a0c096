import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tracetape-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bigger than the payload threshold, so it moves to the payload table. */
export const BIG_RESPONSE = JSON.stringify({ status: 200, headers: {}, body: 'z'.repeat(64 * 1024) });

/**
 * Spans made by the real OpenTelemetry SDK, with every kind of attribute value the SDK can carry:
 * what the register hook's exporter turns into OTLP.
 */
export async function sdkSpans(name = 'agent run'): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test', 'host.cores': 8 }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('tracetape-test', '1.2.3');
  const root = tracer.startSpan(name, { kind: SpanKind.SERVER });
  const ctx = trace.setSpan(context.active(), root);
  const call = tracer.startSpan(
    'POST',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_TRACETAPE_REQUEST]: JSON.stringify({ method: 'POST', url: 'http://upstream/ünïcode', body: '<&>' }),
        [ATTR_TRACETAPE_RESPONSE]: BIG_RESPONSE,
        [ATTR_TRACETAPE_INPUT_HASH]: 'a'.repeat(64),
        'http.response.status_code': 200,
        'tracetape.test.negative': -42,
        'tracetape.test.ratio': 1.5,
        'tracetape.test.tiny': 1.5e-7,
        'tracetape.test.huge': 1.5e300,
        'tracetape.test.flag': false,
        'tracetape.test.empty': '',
        'tracetape.test.tags': ['a', 'b "quoted"'],
        'tracetape.test.numbers': [1, 2.5, -3],
        'tracetape.test.flags': [true, false],
      },
      links: [{ context: root.spanContext(), attributes: { reason: 'follows' } }],
    },
    ctx,
  );
  call.addEvent('retry', { attempt: 2 });
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503' });
  call.end();
  const internal = tracer.startSpan('think', { kind: SpanKind.INTERNAL }, ctx);
  internal.setStatus({ code: SpanStatusCode.OK });
  internal.end();
  root.end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}
