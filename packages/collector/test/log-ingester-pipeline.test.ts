import fs from 'node:fs';
import path from 'node:path';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ChdbSpanStore, type SpanStore } from '@tracetape/clickhouse';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { encodeRecord, INGEST_STATE_FILE, listSegments, LogWriter, RecordType } from '@tracetape/log';
import { afterAll, describe, expect, it } from 'vitest';
import { LogIngester } from '../src/index.js';
import { BIG_RESPONSE, tempDir } from './sdk-spans.js';

// LogIngester's pipelining (opt-in): the next insert's records are converted while the store runs
// the current insert, and nothing else changes: every span once, one announced insert at a time.

const tmp = tempDir('log-ingester-pipeline');
const store = new ChdbSpanStore({ dir: path.join(tmp.dir, 'store') });
let logs = 0;

afterAll(async () => {
  await store.close();
  tmp.remove();
});

async function makeSpans(traces: number, perTrace: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'pipeline-test' }), spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('tracetape-test');
  for (let t = 0; t < traces; t++) {
    const root = tracer.startSpan(`run ${t}`, { root: true });
    const ctx = trace.setSpan(context.active(), root);
    for (let s = 1; s < perTrace; s++) {
      tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { [ATTR_TRACETAPE_INPUT_HASH]: `${t}-${s}`, [ATTR_TRACETAPE_RESPONSE]: BIG_RESPONSE } }, ctx).end();
    }
    root.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** A log of `spans` in records of 10, as the hook's LogSpanExporter appends them. */
function writeLog(spans: ReadableSpan[]): string {
  const dir = path.join(tmp.dir, `log-${++logs}`);
  const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
  for (let i = 0; i < spans.length; i += 10) writer.append(encodeRecord(RecordType.Spans, JsonTraceSerializer.serializeRequest(spans.slice(i, i + 10))!));
  writer.close();
  return dir;
}

type Event = { kind: 'insert-start' | 'insert-end' | 'prepare' | 'insert-failed'; spans: number };

/**
 * The real store, with every insert held back 60 ms (so a conversion has something to overlap
 * with) and the calls the ingester makes written down in order. `failAt`: that insert (1-based)
 * lands, then throws, as if the ingester died before committing it.
 */
function watched(real: SpanStore, events: Event[], failAt?: number): SpanStore {
  let inserts = 0;
  let running = 0;
  return new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'insert') {
        return async (...args: Parameters<SpanStore['insert']>) => {
          const n = ++inserts;
          if (running > 0) throw new Error('two inserts at once');
          running++;
          events.push({ kind: 'insert-start', spans: args[0].length });
          try {
            await new Promise((resolve) => setTimeout(resolve, 60));
            await target.insert(...args);
            if (n === failAt) {
              events.push({ kind: 'insert-failed', spans: args[0].length });
              throw new Error('killed after the insert landed');
            }
            events.push({ kind: 'insert-end', spans: args[0].length });
          } finally {
            running--;
          }
        };
      }
      if (key === 'prepareRows') {
        return (spans: Parameters<NonNullable<SpanStore['prepareRows']>>[0], payloads: Parameters<NonNullable<SpanStore['prepareRows']>>[1]) => {
          events.push({ kind: 'prepare', spans: spans.length });
          target.prepareRows?.(spans, payloads);
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function storedRows(spans: ReadableSpan[]): Promise<{ rows: number; distinct: number }> {
  const ids = [...new Set(spans.map((s) => s.spanContext().traceId))].map((id) => `'${id}'`).join(', ');
  const text = await store.query(`SELECT count() AS rows, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces WHERE TraceId IN (${ids})`, 'JSONEachRow');
  const row = JSON.parse(text) as { rows: string; distinct: string };
  return { rows: Number(row.rows), distinct: Number(row.distinct) };
}

/** Conversions (prepareRows calls) made while an insert was running. */
function overlapped(events: Event[]): number {
  let running = false;
  let count = 0;
  for (const event of events) {
    if (event.kind === 'insert-start') running = true;
    else if (event.kind === 'insert-end' || event.kind === 'insert-failed') running = false;
    else if (running) count++;
  }
  return count;
}

describe('LogIngester pipelining', () => {
  it('converts the next insert while the current one runs, and stores every span exactly once', async () => {
    const spans = await makeSpans(4, 30);
    const dir = writeLog(spans);
    const events: Event[] = [];
    const report = await new LogIngester({ store: watched(store, events), logDir: dir, maxSpansPerInsert: 40, pipeline: true }).ingest();
    expect(report.spans).toBe(spans.length);
    expect(report.inserts).toBe(3);
    expect(await storedRows(spans)).toEqual({ rows: spans.length, distinct: spans.length });
    // The second insert's records were being converted while the first insert ran (how many of
    // them got done before it finished depends on the machine's speed).
    const firstInsert = events.findIndex((e) => e.kind === 'insert-start');
    expect(events[firstInsert + 1]?.kind).toBe('prepare');
    expect(overlapped(events)).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.kind === 'prepare')).toHaveLength(12);
    expect(listSegments(dir)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, INGEST_STATE_FILE), 'utf8'))).toEqual({ version: 1, offsets: {} });
  });

  it('without pipeline (the default) converts only between inserts, storing the same', async () => {
    const spans = await makeSpans(4, 30);
    const dir = writeLog(spans);
    const events: Event[] = [];
    const report = await new LogIngester({ store: watched(store, events), logDir: dir, maxSpansPerInsert: 40 }).ingest();
    expect(report).toMatchObject({ spans: spans.length, inserts: 3 });
    expect(overlapped(events)).toBe(0);
    expect(await storedRows(spans)).toEqual({ rows: spans.length, distinct: spans.length });
  });

  it('an insert that fails while the next is being converted leaves only that insert announced; the next pass stores the rest once', async () => {
    const spans = await makeSpans(4, 30);
    const dir = writeLog(spans);
    const events: Event[] = [];
    await expect(new LogIngester({ store: watched(store, events, 2), logDir: dir, maxSpansPerInsert: 40, pipeline: true }).ingest()).rejects.toThrow('killed after the insert landed');
    // The third insert's records were read ahead, but never announced nor stored.
    const state = JSON.parse(fs.readFileSync(path.join(dir, INGEST_STATE_FILE), 'utf8')) as { pending?: { ranges: Array<{ from: number; to: number }> }; offsets: Record<string, number> };
    expect(state.pending?.ranges).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'insert-start')).toHaveLength(2);
    expect((await storedRows(spans)).rows).toBe(80);

    const report = await new LogIngester({ store, logDir: dir, maxSpansPerInsert: 40 }).ingest();
    expect(report.skipped).toEqual([]);
    await store.query('OPTIMIZE TABLE otel_traces FINAL', 'TabSeparated');
    expect(await storedRows(spans)).toEqual({ rows: spans.length, distinct: spans.length });
    expect(listSegments(dir)).toEqual([]);
  });
});
