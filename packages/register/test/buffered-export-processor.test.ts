import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { decodeSpanRows } from '@tracetape/clickhouse';
import { decodeRowsRecord, listSegments, LogWriter, readSegment, RecordType } from '@tracetape/log';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferedExportProcessor } from '../src/export/buffered-export-processor.js';
import { LogSpanExporter } from '../src/export/log-span-exporter.js';
import { RowsEncoder } from '../src/export/record-encoders.js';

// The processor in front of the recording log, with the real log writer and the embedded store's
// row encoder: spans are encoded a few at a time as they end, and written a batch per record.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setUp(options: { maxBatchSize: number; logMaxBytes?: number; firstSliceDelayMs?: number; maxResourceWaitMs?: number; resource?: ReturnType<typeof resourceFromAttributes> }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-buffered-export-'));
  dirs.push(dir);
  const log = new LogSpanExporter(new LogWriter({ dir, maxBytes: options.logMaxBytes ?? 64 << 20 }), new RowsEncoder());
  // A delay no test waits for: records are written because a batch filled or a flush asked.
  const processor = new BufferedExportProcessor(log, {
    maxBatchSize: options.maxBatchSize,
    scheduledDelayMs: 600_000,
    ...(options.firstSliceDelayMs !== undefined ? { firstSliceDelayMs: options.firstSliceDelayMs } : {}),
    ...(options.maxResourceWaitMs !== undefined ? { maxResourceWaitMs: options.maxResourceWaitMs } : {}),
  });
  const tracer = new TracerProvider({ spanProcessors: [processor], ...(options.resource ? { resource: options.resource } : {}) }).getTracer('test');
  const endSpans = (count: number) => {
    for (let i = 0; i < count; i++) tracer.startSpan(`call ${i}`, { attributes: { 'tracetape.request': JSON.stringify({ i }) } }).end();
  };
  /** Spans per record in the log, in order. */
  const records = () =>
    listSegments(dir).flatMap((segment) => readSegment(segment.path, 0).records.filter((record) => record.type === RecordType.Rows).map((record) => decodeRowsRecord(record).spanRows));
  /** Every span row in the log, decoded. */
  const rows = () =>
    listSegments(dir).flatMap((segment) => readSegment(segment.path, 0).records.filter((record) => record.type === RecordType.Rows).flatMap((record) => decodeSpanRows(decodeRowsRecord(record).spans)));
  return { dir, log, processor, endSpans, records, rows };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !done(); turn++) await nextTurn();
  expect(done()).toBe(true);
}

describe('BufferedExportProcessor with the recording log', () => {
  it('encodes spans in the turns after they end and writes one record per full batch', async () => {
    const { log, processor, endSpans, records } = setUp({ maxBatchSize: 4, firstSliceDelayMs: 0 });
    for (let i = 0; i < 10; i++) {
      endSpans(1);
      await nextTurn();
    }
    // Every span is encoded; two batches filled and were written, the rest waits for the delay.
    await turnsUntil(() => log.stagedSpans === 2);
    expect(records()).toEqual([4, 4]);
    await processor.forceFlush();
    expect(records()).toEqual([4, 4, 2]);
    expect(log.stats()).toEqual({ written: 10, lost: 0 });
  });

  it('leaves a span that ends on a quiet queue to the app’s next step, and encodes it a few milliseconds later', async () => {
    // The clock is the test's: on a loaded machine two turns of the loop can outlast the delay.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { log, endSpans } = setUp({ maxBatchSize: 4 });
      endSpans(1);
      // The turns after the span ended are the app's: its next request goes out before capture's work.
      await nextTurn();
      await nextTurn();
      expect(log.stagedSpans).toBe(0);
      vi.advanceTimersByTime(5);
      await turnsUntil(() => log.stagedSpans === 1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('encodes a backlog of a batch or more at once, so the queue cannot outgrow the app', async () => {
    const { log, endSpans, records } = setUp({ maxBatchSize: 4 });
    endSpans(9);
    await nextTurn();
    expect(records()).toEqual([4, 4]);
    expect(log.stagedSpans).toBe(1);
  });

  it('writes the spans still queued and those encoded but unwritten when the process exits', async () => {
    // No first-slice delay: a thousand turns of the loop can pass inside its 5 ms on a fast host.
    const { log, processor, endSpans, records } = setUp({ maxBatchSize: 100, firstSliceDelayMs: 0 });
    endSpans(3);
    await turnsUntil(() => log.stagedSpans === 3);
    endSpans(2);
    processor.flushAndCloseSync();
    expect(records()).toEqual([5]);
    expect(log.stats()).toEqual({ written: 5, lost: 0 });
  });

  it('counts a batch the log cannot take as lost, per trace, and says so', async () => {
    const { log, processor, endSpans, records } = setUp({ maxBatchSize: 4, logMaxBytes: 64 });
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => stderr.push(String(text)) > 0) as typeof process.stderr.write;
    try {
      endSpans(3);
      await processor.forceFlush();
    } finally {
      process.stderr.write = write;
    }
    expect(records()).toEqual([]);
    expect(processor.droppedSpans).toBe(3);
    expect(log.stats()).toEqual({ written: 0, lost: 3 });
    expect(stderr.join('')).toMatch(/lost 3 span\(s\)/);
  });
  it('waits for a resource detector that answers later, so every row carries its attribute', async () => {
    // The host detector reads the host's ID from a file: until it is awaited, the resource is pending.
    let answer: (id: string) => void = () => {};
    const hostId = new Promise<string>((resolve) => (answer = resolve));
    const resource = resourceFromAttributes({ 'service.name': 'svc', 'host.id': hostId });
    const { log, processor, endSpans, rows } = setUp({ maxBatchSize: 4, firstSliceDelayMs: 0, resource });
    endSpans(3);
    for (let turn = 0; turn < 20; turn++) await nextTurn();
    expect(log.stagedSpans).toBe(0);
    answer('machine-7');
    await turnsUntil(() => log.stagedSpans === 3);
    await processor.forceFlush();
    // A flush asked for while the detector is still out waits for it too.
    const later = setUp({ maxBatchSize: 4, firstSliceDelayMs: 0, resource: resourceFromAttributes({ 'host.id': Promise.resolve('machine-8') }) });
    later.endSpans(1);
    await later.processor.forceFlush();
    expect(later.rows().map((row) => row.ResourceAttributes)).toEqual([{ 'host.id': 'machine-8' }]);
    expect(rows().map((row) => row.ResourceAttributes)).toEqual(Array(3).fill({ 'service.name': 'svc', 'host.id': 'machine-7' }));
  });
  it('does not wait past its bound for a detector that never answers, nor past a batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const never = new Promise<string>(() => {});
      const { log, endSpans, rows, processor } = setUp({ maxBatchSize: 4, firstSliceDelayMs: 0, maxResourceWaitMs: 2_000, resource: resourceFromAttributes({ 'service.name': 'svc', 'host.id': never }) });
      endSpans(2);
      for (let turn = 0; turn < 20; turn++) await nextTurn();
      expect(log.stagedSpans).toBe(0);
      // A batch piled up: it goes out without the attribute rather than grow the queue.
      endSpans(2);
      await turnsUntil(() => log.stagedSpans === 0 && rows().length === 4);
      endSpans(1);
      for (let turn = 0; turn < 20; turn++) await nextTurn();
      expect(log.stagedSpans).toBe(0);
      vi.advanceTimersByTime(2_000);
      await turnsUntil(() => log.stagedSpans === 1);
      await processor.forceFlush();
      expect(rows().map((row) => row.ResourceAttributes)).toEqual(Array(5).fill({ 'service.name': 'svc' }));
    } finally {
      vi.useRealTimers();
    }
  });
});
