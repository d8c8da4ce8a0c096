import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_RESPONSE,
  ATTR_TRACETAPE_SIDE_EFFECT,
  Redactor,
  TAPE_FORMAT,
  TAPE_VERSION,
  type CapturedRequest,
  type RecordedResponse,
  type Tape,
  type TapeEntry,
} from '@tracetape/core';
import { CaptureRegistry } from '../../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../../src/capture/capture-span-processor.js';
import { ChildProcessCapture } from '../../src/child-process/child-process-capture.js';
import { installChildProcessDoor } from '../../src/child-process/patch-starters.js';
import { TRACER_NAME } from '../../src/tracer-name.js';

export const redactor = new Redactor();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** Runs `app` with the capture door installed, real children and all; returns its spans and the tape they make. */
export async function recordChildren(app: () => Promise<void>, options: { maxOutputBytes?: number } = {}): Promise<{ spans: ReadableSpan[]; tape: Tape }> {
  const exporter = new InMemorySpanExporter();
  const registry = new CaptureRegistry();
  const provider = new TracerProvider({ spanProcessors: [new CaptureSpanProcessor(registry, new SimpleSpanProcessor({ exporter }), { maxWaitMs: 1_000, redactor })] });
  const undo = installChildProcessDoor(new ChildProcessCapture(registry, redactor, provider.getTracer(TRACER_NAME), options));
  try {
    await app();
  } finally {
    undo();
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().filter((span) => span.attributes[ATTR_TRACETAPE_KIND] === 'process');
  spans.sort((a, b) => hrTimeToMilliseconds(a.startTime) - hrTimeToMilliseconds(b.startTime));
  await provider.shutdown();
  const entries = spans.map((span, index): TapeEntry => ({
    step: index + 1,
    kind: 'process',
    spanId: span.spanContext().spanId,
    spanName: span.name,
    startTime: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
    durationMs: hrTimeToMilliseconds(span.duration),
    inputHash: String(span.attributes[ATTR_TRACETAPE_INPUT_HASH]),
    request: JSON.parse(String(span.attributes[ATTR_TRACETAPE_REQUEST])) as CapturedRequest,
    response: JSON.parse(String(span.attributes[ATTR_TRACETAPE_RESPONSE])) as RecordedResponse,
    sideEffect: span.attributes[ATTR_TRACETAPE_SIDE_EFFECT] === 'true',
  }));
  const tape: Tape = { format: TAPE_FORMAT, version: TAPE_VERSION, traceId: '0'.repeat(31) + '1', serviceName: 'test', rootName: 'test', recordedAt: new Date().toISOString(), entries };
  return { spans, tape };
}
