import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_TRACETAPE_RUN } from '@tracetape/core';
import { RunContextManager, run, TRACER_NAME } from '@tracetape/instrumentation';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const manager = new RunContextManager();
const tracer = provider.getTracer('run-context-test');

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  expect(context.setGlobalContextManager(manager.enable())).toBe(true);
});

afterEach(() => {
  manager.setRunContext(ROOT_CONTEXT);
  exporter.reset();
});

afterAll(async () => {
  context.disable();
  trace.disable();
  await provider.shutdown();
});

function ended(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  expect(found, `exactly one ended span named ${name}`).toHaveLength(1);
  return found[0]!;
}

function startRunSpan(): Span {
  const runSpan = tracer.startSpan('process run', { root: true, attributes: { [ATTR_TRACETAPE_RUN]: 'process' } });
  manager.setRunContext(trace.setSpan(ROOT_CONTEXT, runSpan));
  return runSpan;
}

describe('RunContextManager', () => {
  it('without a run context, a span started outside any context is a root', () => {
    tracer.startSpan('lonely').end();
    expect(ended('lonely').parentSpanContext).toBeUndefined();
  });

  it('makes spans started with no active context children of the run span, across async hops', async () => {
    const runSpan = startRunSpan();
    tracer.startSpan('sync call').end();
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        tracer.startSpan('timer call').end();
        resolve();
      }, 0),
    );
    await Promise.resolve().then(() => tracer.startSpan('microtask call').end());
    runSpan.end();

    const { traceId, spanId } = runSpan.spanContext();
    for (const name of ['sync call', 'timer call', 'microtask call']) {
      const span = ended(name);
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.parentSpanContext?.spanId).toBe(spanId);
    }
  });

  it('still nests under whatever span is active', () => {
    const runSpan = startRunSpan();
    tracer.startActiveSpan('outer', (outer) => {
      tracer.startSpan('inner').end();
      outer.end();
    });
    runSpan.end();
    expect(ended('outer').parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
    expect(ended('inner').parentSpanContext?.spanId).toBe(ended('outer').spanContext().spanId);
  });

  it('gives code that asks for ROOT_CONTEXT on purpose a fresh root trace', () => {
    const runSpan = startRunSpan();
    context.with(ROOT_CONTEXT, () => {
      tracer.startActiveSpan('inbound request', (request) => {
        tracer.startSpan('handler call').end();
        request.end();
      });
      tracer.startSpan('another root').end();
    });
    runSpan.end();

    const request = ended('inbound request');
    expect(request.parentSpanContext).toBeUndefined();
    expect(request.spanContext().traceId).not.toBe(runSpan.spanContext().traceId);
    expect(ended('handler call').parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(ended('another root').parentSpanContext).toBeUndefined();
    // Outside that block the run context applies again.
    tracer.startSpan('after').end();
    expect(ended('after').parentSpanContext?.spanId).toBe(runSpan.spanContext().spanId);
  });
});

describe('run(name, fn)', () => {
  it('runs fn under a new root span marked tracetape.run=run, ended when fn resolves', async () => {
    const processRun = startRunSpan();
    let insideTraceId = '';
    const result = await run('nightly job', async () => {
      insideTraceId = trace.getActiveSpan()!.spanContext().traceId;
      await new Promise((resolve) => setImmediate(resolve));
      tracer.startSpan('step').end();
      // Not ended before fn has finished.
      expect(exporter.getFinishedSpans().some((s) => s.name === 'nightly job')).toBe(false);
      return 42;
    });
    processRun.end();

    expect(result).toBe(42);
    const job = ended('nightly job');
    expect(job.instrumentationScope.name).toBe(TRACER_NAME);
    expect(job.attributes[ATTR_TRACETAPE_RUN]).toBe('run');
    expect(job.parentSpanContext).toBeUndefined();
    expect(job.spanContext().traceId).not.toBe(processRun.spanContext().traceId);
    expect(job.spanContext().traceId).toBe(insideTraceId);
    expect(job.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(ended('step').parentSpanContext?.spanId).toBe(job.spanContext().spanId);
  });

  it('ends the span with status ERROR and rethrows when fn rejects', async () => {
    const failure = new Error('tool call failed');
    await expect(
      run('failing job', async () => {
        await Promise.resolve();
        throw failure;
      }),
    ).rejects.toBe(failure);
    const job = ended('failing job');
    expect(job.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool call failed' });
    expect(job.events.map((e) => e.name)).toContain('exception');
    expect(job.attributes[ATTR_TRACETAPE_RUN]).toBe('run');
  });

  it('handles a synchronous fn and a synchronous throw', async () => {
    expect(await run('sync job', () => 'done')).toBe('done');
    expect(ended('sync job').status.code).toBe(SpanStatusCode.UNSET);
    await expect(
      run('sync throw', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(ended('sync throw').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('gives separate runs separate traces', async () => {
    const ids = await Promise.all([
      run('a', async () => trace.getActiveSpan()!.spanContext().traceId),
      run('b', async () => trace.getActiveSpan()!.spanContext().traceId),
    ]);
    expect(ids[0]).not.toBe(ids[1]);
    expect(ended('a').spanContext().traceId).toBe(ids[0]);
    expect(ended('b').spanContext().traceId).toBe(ids[1]);
  });
});
