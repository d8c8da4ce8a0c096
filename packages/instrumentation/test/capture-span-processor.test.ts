import { ATTR_TRACETAPE_RESPONSE, httpKeyRules, Redactor, requestKey } from '@tracetape/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { CaptureRegistry } from '../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../src/capture/capture-span-processor.js';

function requestPart() {
  const key = requestKey({ method: 'POST', url: 'http://queue.test/poll', headers: [], body: Buffer.from('next?') }, new Redactor(), httpKeyRules());
  return { inputHash: key.hash, request: { normalized: key.normalized, headers: [...key.redacted.headers] } };
}

/** A real SDK provider whose spans go through the capture processor into memory. */
function recording() {
  const registry = new CaptureRegistry();
  const exported = new InMemorySpanExporter();
  const processor = new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter: exported }));
  return { registry, exported, processor, tracer: new TracerProvider({ spanProcessors: [processor] }).getTracer('test') };
}

describe('CaptureSpanProcessor.endUnansweredSync', () => {
  it('saves a call still waiting at exit as unanswered, and leaves one whose answer began held', () => {
    const { registry, exported, processor, tracer } = recording();

    const waiting = tracer.startSpan('POST /poll');
    registry.track(waiting, 'http').setRequestNow(requestPart());
    const answering = tracer.startSpan('POST /stream');
    const begun = registry.track(answering, 'http');
    begun.setRequestNow(requestPart());
    begun.setResponse({ status: 200, statusText: 'OK', headers: [], complete: false });

    processor.endUnansweredSync({ signal: 'SIGTERM', signalAt: '2030-01-01T00:00:00.000Z' });
    processor.releaseWaitingSync();

    const spans = exported.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['POST /poll']);
    expect(JSON.parse(spans[0]!.attributes[ATTR_TRACETAPE_RESPONSE] as string).unanswered).toEqual({ signal: 'SIGTERM', signalAt: '2030-01-01T00:00:00.000Z' });
    expect(spans[0]!.status.message).toBe('no answer before the process ended');
    // Part of its answer came: not whole, so still held, and counted as lost by the caller.
    expect(registry.heldBySpanPerTrace().get(answering.spanContext().traceId)).toBe(1);
  });
});

describe('CaptureSpanProcessor, spans the app never ends', () => {
  it('lets go of open spans of no held call past its bound, keeping those of calls still held', () => {
    const { registry, exported, processor, tracer } = recording();
    const waiting = tracer.startSpan('POST /poll');
    registry.track(waiting, 'http').setRequestNow(requestPart());
    // Spans an app starts and forgets: never ended, never captured.
    for (let i = 0; i < 10_000; i++) tracer.startSpan(`forgotten ${i}`);
    expect((processor as unknown as { open: Map<string, unknown> }).open.size).toBeLessThan(4096);
    processor.endUnansweredSync({});
    processor.releaseWaitingSync();
    expect(exported.getFinishedSpans().map((span) => span.name)).toEqual(['POST /poll']);
  });
});
