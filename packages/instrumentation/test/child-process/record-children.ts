import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Redactor, type Tape } from '@tracetape/core';
import { CaptureRegistry } from '../../src/capture/capture-registry.js';
import { CaptureSpanProcessor } from '../../src/capture/capture-span-processor.js';
import { ChildProcessCapture } from '../../src/child-process/child-process-capture.js';
import { installChildProcessDoor } from '../../src/child-process/patch-starters.js';
import { TRACER_NAME } from '../../src/tracer-name.js';
import { tapeFromSpans } from '../tape-from-spans.js';

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
  const recorded = tapeFromSpans(exporter.getFinishedSpans(), 'process');
  await provider.shutdown();
  return recorded;
}
