import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ChdbSpanStore, resolvePayloadRefs, RowBatchEncoder, toSpanRow, type SpanStore } from '@tracetape/clickhouse';
import { ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_RESPONSE } from '@tracetape/core';
import { encodeRecord, encodeRowsRecord, INGEST_STATE_FILE, listSegments, LogWriter, RecordType } from '@tracetape/log';
import { afterAll, describe, expect, it } from 'vitest';
import { LogIngester } from '../src/index.js';
import { BIG_RESPONSE, tempDir } from './sdk-spans.js';

// One embedded store for the file; each test records its own traces into a log of its own.
const tmp = tempDir('log-ingester');
const store = new ChdbSpanStore({ dir: path.join(tmp.dir, 'store') });
let logs = 0;

afterAll(async () => {
  await store.close();
  tmp.remove();
});

function freshLogDir(): string {
  return path.join(tmp.dir, `log-${++logs}`);
}

/** `traces` traces of `perTrace` spans each (a root, then client calls under it), made by the real SDK. */
async function makeSpans(traces: number, perTrace: number, payload = false): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'ingest-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('tracetape-test');
  for (let t = 0; t < traces; t++) {
    const root = tracer.startSpan(`run ${t}`, { root: true });
    const ctx = trace.setSpan(context.active(), root);
    for (let s = 1; s < perTrace; s++) {
      const call = tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { [ATTR_TRACETAPE_INPUT_HASH]: `${t}-${s}`, ...(payload ? { [ATTR_TRACETAPE_RESPONSE]: BIG_RESPONSE } : {}) } }, ctx);
      call.end();
    }
    root.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** One log record of spans, as the register hook appends it for the embedded store: its rows, encoded. */
function spansRecord(spans: ReadableSpan[]): Buffer {
  return encodeRowsRecord(new RowBatchEncoder().encode(spans));
}

/**
 * A rows record as a tracetape before payload rows named their trace appended it: type 3, payload
 * rows of Hash, Data, Size, Timestamp (today's rows with their leading TraceId taken out).
 */
function legacyRowsRecord(spans: ReadableSpan[]): Buffer {
  const batch = new RowBatchEncoder().encode(spans);
  const payloads = Buffer.from(batch.payloads);
  const rows: Buffer[] = [];
  const varint = (at: number): [number, number] => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = payloads[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return [value, at];
    }
  };
  for (let at = 0; at < payloads.length; ) {
    const [traceIdLength, traceIdEnd] = varint(at);
    const start = traceIdEnd + traceIdLength;
    const [hashLength, hashEnd] = varint(start);
    const [dataLength, dataEnd] = varint(hashEnd + hashLength);
    const end = dataEnd + dataLength + 16;
    rows.push(payloads.subarray(start, end));
    at = end;
  }
  const legacy = Buffer.concat(rows);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(batch.spanRows, 0);
  header.writeUInt32LE(batch.spans.byteLength, 4);
  header.writeUInt32LE(batch.payloadRows, 8);
  header.writeUInt32LE(legacy.length, 12);
  return encodeRecord(RecordType.RowsWithoutTraceIds, Buffer.concat([header, batch.spans, legacy]));
}

/** As the hook appends it for a log shipped to a server or a collector: OTLP/JSON. */
function otlpRecord(spans: ReadableSpan[]): Buffer {
  return encodeRecord(RecordType.Spans, JsonTraceSerializer.serializeRequest(spans)!);
}

/** The store's insert methods, either of which the ingester calls. */
const INSERTS = new Set<string | symbol>(['insert', 'insertEncoded']);

function traceIds(spans: ReadableSpan[]): string[] {
  return [...new Set(spans.map((s) => s.spanContext().traceId))];
}

function runStart(span: ReadableSpan) {
  return {
    kind: 'run-start' as const,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
    pid: process.pid,
    processPath: '0',
    serviceName: 'ingest-test',
    startNs: '1700000000000000000',
  };
}

async function count(sql: string): Promise<number> {
  const text = await store.query(sql, 'JSONEachRow');
  return Number((JSON.parse(text) as { n: string }).n);
}

/** Rows and distinct (TraceId, SpanId) of these traces: a row stored twice shows as rows > distinct. */
async function stored(ids: string[]): Promise<{ rows: number; distinct: number }> {
  const where = `TraceId IN (${ids.map((id) => `'${id}'`).join(', ')})`;
  return {
    rows: await count(`SELECT count() AS n FROM otel_traces WHERE ${where}`),
    distinct: await count(`SELECT uniqExact(TraceId, SpanId) AS n FROM otel_traces WHERE ${where}`),
  };
}

async function runStates(ids: string[]) {
  const rows = await store.runRows({ traceIds: ids });
  return new Map(rows.map((row) => [row.TraceId, row]));
}

/** A store whose inserts land and then fail, as if the ingester died before it could commit. */
function diesAfterInsert(real: SpanStore): SpanStore {
  return new Proxy(real, {
    get(target, key, receiver) {
      if (INSERTS.has(key)) {
        const insert = (Reflect.get(target, key, receiver) as (...a: unknown[]) => Promise<void>).bind(target);
        return async (...args: unknown[]) => {
          await insert(...args);
          throw new Error('killed after the insert landed');
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const LOG_MODULE = fileURLToPath(import.meta.resolve('@tracetape/log'));

/**
 * A real process writes `records` (files of encoded records) through a LogWriter, then, if asked,
 * the first `tornBytes` of one more record, and kills itself with SIGKILL: a writer that died
 * mid-write. Resolves once it is gone, with its pid.
 */
async function deadWriter(dir: string, records: Buffer[], torn?: Buffer): Promise<number> {
  const files = records.map((record, i) => {
    const file = path.join(tmp.dir, `record-${logs}-${i}.bin`);
    fs.writeFileSync(file, record);
    return file;
  });
  const tornFile = torn ? path.join(tmp.dir, `torn-${logs}.bin`) : '';
  if (torn) fs.writeFileSync(tornFile, torn);
  const script = `
    import fs from 'node:fs';
    const { LogWriter } = await import(${JSON.stringify(LOG_MODULE)});
    const writer = new LogWriter({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 30 });
    for (const file of ${JSON.stringify(files)}) writer.append(fs.readFileSync(file));
    if (${JSON.stringify(tornFile)}) fs.appendFileSync(writer.currentSegment, fs.readFileSync(${JSON.stringify(tornFile)}));
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  expect(signal, stderr).toBe('SIGKILL');
  return child.pid!;
}

describe('LogIngester', () => {
  it('stores every span of several writers exactly once, over many small inserts, and removes finished segments', async () => {
    const dir = freshLogDir();
    const batches = await Promise.all([0, 1, 2].map(() => makeSpans(4, 6)));
    const all = batches.flat();
    // Three writers of this process (one per batch), each ending its log; small segments, so they rotate.
    for (const spans of batches) {
      const writer = new LogWriter({ dir, maxBytes: 1 << 30, segmentMaxBytes: 2 * 1024 });
      for (let i = 0; i < spans.length; i += 5) writer.append(spansRecord(spans.slice(i, i + 5)));
      writer.close();
    }
    expect(listSegments(dir).length).toBeGreaterThan(3);

    const report = await new LogIngester({ store, logDir: dir, maxSpansPerInsert: 7 }).ingest();
    expect(report.spans).toBe(all.length);
    expect(report.inserts).toBeGreaterThan(3);
    expect(report.skipped).toEqual([]);
    expect(await stored(traceIds(all))).toEqual({ rows: all.length, distinct: all.length });
    expect(listSegments(dir)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, INGEST_STATE_FILE), 'utf8'))).toEqual({ version: 1, offsets: {} });

    // A second pass finds nothing to do and stores nothing again.
    const again = await new LogIngester({ store, logDir: dir }).ingest();
    expect(again.spans).toBe(0);
    expect(await stored(traceIds(all))).toEqual({ rows: all.length, distinct: all.length });
  });

  it('stores rows records and OTLP/JSON records of one log alike: each span reads back as the row the SDK span makes', async () => {
    const dir = freshLogDir();
    const [rows, otlp] = [await makeSpans(2, 4, true), await makeSpans(2, 4, true)];
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.append(spansRecord(rows));
    // An older hook's record, or one written for a server before the destination changed.
    writer.append(otlpRecord(otlp));
    writer.close();
    const report = await new LogIngester({ store, logDir: dir }).ingest();
    expect(report).toMatchObject({ spans: rows.length + otlp.length, inserts: 1, skipped: [] });
    for (const spans of [rows, otlp]) {
      for (const traceId of traceIds(spans)) {
        const back = await resolvePayloadRefs(await store.getTraceSpans(traceId), store);
        const expected = spans.filter((s) => s.spanContext().traceId === traceId).map(toSpanRow);
        expect(back.map((r) => r.SpanId).sort()).toEqual(expected.map((r) => r.SpanId).sort());
        for (const row of expected) expect(back.find((r) => r.SpanId === row.SpanId)).toEqual(row);
      }
    }
  });

  it('stores the rows records an earlier tracetape wrote (payload rows without a TraceId) in the same insert as today\'s', async () => {
    const dir = freshLogDir();
    const [earlier, today] = [await makeSpans(1, 3, true), await makeSpans(1, 3, true)];
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.append(legacyRowsRecord(earlier));
    writer.append(spansRecord(today));
    writer.close();
    const report = await new LogIngester({ store, logDir: dir }).ingest();
    expect(report).toMatchObject({ spans: earlier.length + today.length, inserts: 1, skipped: [] });
    for (const spans of [earlier, today]) {
      const [traceId] = traceIds(spans);
      const back = await resolvePayloadRefs(await store.getTraceSpans(traceId!), store);
      for (const row of spans.map(toSpanRow)) expect(back.find((r) => r.SpanId === row.SpanId)).toEqual(row);
    }
    // The earlier rows name no trace, and are found from any; today's name theirs.
    const named = await store.query(
      `SELECT DISTINCT TraceId FROM tracetape_payloads WHERE TraceId IN ('', '${traceIds(earlier)[0]}', '${traceIds(today)[0]}') ORDER BY TraceId FORMAT TabSeparated`,
      'TabSeparated',
    );
    expect(named.split('\n').filter((line, i, all) => i < all.length - 1)).toEqual(['', traceIds(today)[0]]);
  });

  it('refuses rows records for a store that cannot take them, naming both, and keeps the log', async () => {
    const dir = freshLogDir();
    const spans = await makeSpans(1, 3);
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.append(spansRecord(spans));
    writer.close();
    const jsonOnly = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'insertEncoded') return undefined;
        if (key === 'location') return 'ClickHouse at http://127.0.0.1:8123';
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(new LogIngester({ store: jsonOnly, logDir: dir }).ingest()).rejects.toThrow(/holds rows for the embedded store, and ClickHouse at http:\/\/127\.0\.0\.1:8123 does not take them/);
    expect(listSegments(dir)).toHaveLength(1);
    expect((await new LogIngester({ store, logDir: dir }).ingest()).spans).toBe(spans.length);
  });

  it('refuses a rows record whose rows do not parse, naming its file and how to get past it, and stores the rest once that file is moved out', async () => {
    const dir = freshLogDir();
    const [before, after] = [await makeSpans(1, 3), await makeSpans(1, 3)];
    const damaged = new LogWriter({ dir, maxBytes: 1 << 30 });
    damaged.append(spansRecord(before));
    // A whole record, checksum and all, whose header promises more span bytes than it carries: a recorder's bug.
    const header = Buffer.alloc(16);
    header.writeUInt32LE(1, 0);
    header.writeUInt32LE(100, 4);
    damaged.append(encodeRecord(RecordType.Rows, Buffer.concat([header, Buffer.from('short')])));
    damaged.close();
    // Segment names carry the writer's start in milliseconds: the next writer starts in a later one.
    const started = Date.now();
    while (Date.now() === started) await new Promise((resolve) => setTimeout(resolve, 1));
    const next = new LogWriter({ dir, maxBytes: 1 << 30 });
    next.append(spansRecord(after));
    next.close();
    const [file] = listSegments(dir).map((segment) => segment.path);
    const ingester = new LogIngester({ store, logDir: dir });
    for (let pass = 0; pass < 2; pass++) {
      const refused = await ingester.ingest().then(() => undefined, (error: unknown) => error as Error);
      expect(refused?.message).toContain(`blocks that do not add up to its 21 bytes, in ${file}. Ingest stops at this record on every pass.`);
      expect(refused?.message).toContain(`once the process that wrote it has ended, move it out of ${dir} to store the rest of the log`);
    }
    expect((await stored([...traceIds(before), ...traceIds(after)])).rows).toBe(0);
    fs.renameSync(file!, path.join(tmp.dir, `damaged-${logs}.log`));
    expect((await ingester.ingest()).spans).toBe(after.length);
    expect(await stored(traceIds(after))).toEqual({ rows: after.length, distinct: after.length });
    expect(listSegments(dir)).toEqual([]);
  });

  it('keeps the segment of a writer still running, and stores only what it appends later', async () => {
    const dir = freshLogDir();
    const first = await makeSpans(1, 3);
    const later = await makeSpans(1, 4);
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.append(spansRecord(first));
    const ingester = new LogIngester({ store, logDir: dir });
    expect((await ingester.ingest()).spans).toBe(first.length);
    expect(listSegments(dir)).toHaveLength(1);
    // A record still being appended (half of it in the file) waits for the rest.
    const record = spansRecord(later);
    fs.appendFileSync(writer.currentSegment!, record.subarray(0, 40));
    const partial = await ingester.ingest();
    expect(partial).toMatchObject({ spans: 0, skipped: [] });
    fs.appendFileSync(writer.currentSegment!, record.subarray(40));
    writer.close();
    expect((await ingester.ingest()).spans).toBe(later.length);
    expect(listSegments(dir)).toEqual([]);
    expect(await stored(traceIds([...first, ...later]))).toEqual({ rows: first.length + later.length, distinct: first.length + later.length });
  });

  it('redoes an insert that was announced but not committed, storing nothing twice', async () => {
    for (const payload of [false, true]) {
      const dir = freshLogDir();
      const spans = await makeSpans(3, 20, payload);
      const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
      for (let i = 0; i < spans.length; i += 8) writer.append(spansRecord(spans.slice(i, i + 8)));
      writer.close();

      // The first insert lands, then the ingester "dies": its state still says the insert is pending.
      await expect(new LogIngester({ store: diesAfterInsert(store), logDir: dir, maxSpansPerInsert: 25 }).ingest()).rejects.toThrow('killed after the insert landed');
      const state = JSON.parse(fs.readFileSync(path.join(dir, INGEST_STATE_FILE), 'utf8')) as { pending?: { ranges: unknown[] } };
      expect(state.pending?.ranges.length).toBeGreaterThan(0);
      const landed = await stored(traceIds(spans));
      expect(landed.rows).toBeGreaterThan(0);
      expect(landed.rows).toBeLessThan(spans.length);

      const report = await new LogIngester({ store, logDir: dir, maxSpansPerInsert: 25 }).ingest();
      expect(report.skipped).toEqual([]);
      expect(await stored(traceIds(spans))).toEqual({ rows: spans.length, distinct: spans.length });
      // Merges would hide a copy: the rows are still all there after OPTIMIZE … FINAL only if none was a copy.
      await store.query('OPTIMIZE TABLE otel_traces FINAL', 'TabSeparated');
      expect(await stored(traceIds(spans))).toEqual({ rows: spans.length, distinct: spans.length });
      expect(listSegments(dir)).toEqual([]);
    }
  });

  it('redoes an announced insert that never landed', async () => {
    const dir = freshLogDir();
    const spans = await makeSpans(2, 10);
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.append(spansRecord(spans));
    writer.close();
    const failing = new Proxy(store, {
      get(target, key, receiver) {
        if (INSERTS.has(key)) return async () => Promise.reject(new Error('killed before the insert landed'));
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(new LogIngester({ store: failing, logDir: dir }).ingest()).rejects.toThrow('before the insert landed');
    expect(await stored(traceIds(spans))).toEqual({ rows: 0, distinct: 0 });
    await new LogIngester({ store, logDir: dir }).ingest();
    expect(await stored(traceIds(spans))).toEqual({ rows: spans.length, distinct: spans.length });
  });

  it('keeps the segment of a writer that finishes while a pass is storing what it read, and stores the rest next pass', async () => {
    // The writer appends its last records and exits between the pass's read and its look at which
    // writers are gone: that look must not count the unread records as a torn tail and remove them.
    const dir = freshLogDir();
    const [first, last] = [await makeSpans(1, 3), await makeSpans(1, 4)];
    const files = [first, last].map((spans, i) => {
      const file = path.join(tmp.dir, `finishing-${logs}-${i}.bin`);
      fs.writeFileSync(file, spansRecord(spans));
      return file;
    });
    const script = `
      import fs from 'node:fs';
      const { LogWriter } = await import(${JSON.stringify(LOG_MODULE)});
      const writer = new LogWriter({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 30 });
      writer.append(fs.readFileSync(${JSON.stringify(files[0])}));
      console.log('ready');
      process.stdin.once('data', () => {
        writer.append(fs.readFileSync(${JSON.stringify(files[1])}));
        writer.close();
        process.exit(0);
      });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const finishesDuringInsert = new Proxy(store, {
      get(target, key, receiver) {
        if (INSERTS.has(key)) {
          const insert = (Reflect.get(target, key, receiver) as (...a: unknown[]) => Promise<void>).bind(target);
          return async (...args: unknown[]) => {
            await insert(...args);
            child.stdin!.write('finish\n');
            expect(await exited).toBe(0);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const pass = await new LogIngester({ store: finishesDuringInsert, logDir: dir }).ingest();
    expect(pass).toMatchObject({ spans: first.length, skipped: [] });
    expect(listSegments(dir)).toHaveLength(1);
    expect((await new LogIngester({ store, logDir: dir }).ingest()).spans).toBe(last.length);
    const all = [...first, ...last];
    expect(await stored(traceIds(all))).toEqual({ rows: all.length, distinct: all.length });
    expect(listSegments(dir)).toEqual([]);
  });

  it('reports a dead writer\'s torn tail, stores what came before it, and marks its unfinished runs incomplete', async () => {
    const dir = freshLogDir();
    const spans = await makeSpans(2, 5);
    const [a, b] = traceIds(spans);
    const rootOf = (id: string) => spans.find((s) => s.spanContext().traceId === id && !s.parentSpanContext)!;
    const lost = spansRecord(await makeSpans(1, 3));
    const pid = await deadWriter(
      dir,
      [encodeRecord(RecordType.Control, Buffer.from(JSON.stringify(runStart(rootOf(a!))))), encodeRecord(RecordType.Control, Buffer.from(JSON.stringify(runStart(rootOf(b!))))), spansRecord(spans)],
      lost.subarray(0, lost.length - 10),
    );
    const [segment] = listSegments(dir);
    expect(segment?.pid).toBe(pid);

    const report = await new LogIngester({ store, logDir: dir }).ingest();
    expect(report.spans).toBe(spans.length);
    expect(report.skipped).toEqual([expect.objectContaining({ segment: segment!.file, pid, bytes: lost.length - 10, reason: expect.stringMatching(/cut off at byte \d+ \(the process was killed/) })]);
    expect(await stored([a!, b!])).toEqual({ rows: spans.length, distinct: spans.length });
    const states = await runStates([a!, b!]);
    for (const id of [a!, b!]) {
      expect(states.get(id)).toMatchObject({ State: 'incomplete', Reason: expect.stringContaining(`process ${pid} ended without closing its recording log`) });
    }
    expect(listSegments(dir)).toEqual([]);

    // Told once: the next pass has nothing to say.
    expect(await new LogIngester({ store, logDir: dir }).ingest()).toMatchObject({ spans: 0, skipped: [] });
  });

  it('skips a dead writer\'s damaged record and everything after it, storing what came before', async () => {
    const dir = freshLogDir();
    const before = await makeSpans(1, 4);
    const damaged = spansRecord(await makeSpans(1, 2));
    damaged[damaged.length - 1]! ^= 0xff;
    const after = spansRecord(await makeSpans(1, 2));
    await deadWriter(dir, [spansRecord(before)], Buffer.concat([damaged, after]));
    const report = await new LogIngester({ store, logDir: dir }).ingest();
    expect(report.spans).toBe(before.length);
    expect(report.skipped).toEqual([expect.objectContaining({ bytes: damaged.length + after.length, reason: expect.stringContaining('checksum mismatch') })]);
    expect(await stored(traceIds(before))).toEqual({ rows: before.length, distinct: before.length });
  });

  it('keeps tracetape_runs from the control records: recording, then complete at the end record, incomplete after a loss', async () => {
    const dir = freshLogDir();
    const [clean, lossy] = [await makeSpans(1, 3), await makeSpans(1, 3)];
    const cleanId = traceIds(clean)[0]!;
    const lossyId = traceIds(lossy)[0]!;
    const writer = new LogWriter({ dir, maxBytes: 1 << 30 });
    writer.appendControl(runStart(clean.at(-1)!));
    writer.appendControl(runStart(lossy.at(-1)!));
    writer.append(spansRecord(clean.slice(0, 2)));
    const ingester = new LogIngester({ store, logDir: dir });
    await ingester.ingest();
    let states = await runStates([cleanId, lossyId]);
    expect(states.get(cleanId)).toMatchObject({ State: 'recording', Writer: writer.key, Name: 'run 0', Pid: process.pid });
    expect(states.get(lossyId)).toMatchObject({ State: 'recording' });
    let listed = await store.listTraces({ limit: 1000 });
    expect(listed.find((t) => t.traceId === cleanId)).toMatchObject({ state: 'recording', spanCount: 2 });
    // Announced, nothing flushed yet: listed all the same, from its run row.
    expect(listed.find((t) => t.traceId === lossyId)).toMatchObject({ state: 'recording', spanCount: 0, name: 'run 0', serviceName: 'ingest-test' });

    writer.append(spansRecord([clean[2]!, ...lossy.slice(0, 2)]));
    writer.appendControl({ kind: 'loss', traceId: lossyId, spans: 1, reason: 'the disk holding the recording log is full' });
    writer.close();
    await ingester.ingest();
    states = await runStates([cleanId, lossyId]);
    expect(states.get(cleanId)).toMatchObject({ State: 'complete', Reason: '' });
    expect(states.get(lossyId)).toMatchObject({ State: 'incomplete', LostSpans: 1, Reason: 'the disk holding the recording log is full' });
    listed = await store.listTraces({ limit: 1000 });
    expect(listed.find((t) => t.traceId === cleanId)?.state).toBeUndefined();
    expect(listed.find((t) => t.traceId === lossyId)).toMatchObject({ state: 'incomplete', lostSpans: 1, reason: 'the disk holding the recording log is full' });
    expect(listSegments(dir)).toEqual([]);
  });
});
