import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeControl,
  decodeRecords,
  encodeRecord,
  IngestLock,
  IngestState,
  listSegments,
  LogWriteError,
  LogWriter,
  readSegment,
  RecordType,
  writerMayBeAlive,
} from '../src/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const spans = (text: string) => encodeRecord(RecordType.Spans, Buffer.from(text));

describe('record format', () => {
  it('reads back whole records and stops at a tail that is still being written', () => {
    const bytes = Buffer.concat([spans('one'), spans('two'), spans('three').subarray(0, 20)]);
    const decoded = decodeRecords(bytes);
    expect(decoded.records.map((r) => r.payload.toString())).toEqual(['one', 'two']);
    expect(decoded.stop).toEqual({ kind: 'incomplete', offset: decoded.next });
    expect(decoded.next).toBe(spans('one').length + spans('two').length);
  });

  it('refuses a record whose bytes changed, and reads nothing after it', () => {
    const damaged = spans('payload');
    damaged[damaged.length - 1] ^= 0xff;
    const decoded = decodeRecords(Buffer.concat([spans('first'), damaged, spans('after')]));
    expect(decoded.records.map((r) => r.payload.toString())).toEqual(['first']);
    expect(decoded.stop).toMatchObject({ kind: 'corrupt', reason: 'checksum mismatch' });
  });

  it('calls bytes that are no record header damage, not an incomplete tail', () => {
    expect(decodeRecords(Buffer.from('garbage that is long enough')).stop).toMatchObject({ kind: 'corrupt', offset: 0 });
    expect(decodeRecords(Buffer.from('xy')).stop).toMatchObject({ kind: 'corrupt' });
  });
});

describe('LogWriter', () => {
  it('appends to a segment of its own that a reader reads incrementally, and ends it on close', () => {
    const dir = tempDir();
    const writer = new LogWriter({ dir, maxBytes: 1 << 20 });
    writer.append(spans('a'));
    const [segment] = listSegments(dir);
    expect(segment).toMatchObject({ pid: process.pid, sequence: 1 });
    const first = readSegment(segment!.path, 0);
    expect(first.records.map((r) => r.payload.toString())).toEqual(['a']);
    writer.append(spans('b'));
    writer.close();
    const rest = readSegment(segment!.path, first.next);
    expect(rest.records[0]!.payload.toString()).toBe('b');
    expect(decodeControl(rest.records[1]!)).toEqual({ kind: 'end', pid: process.pid, final: true });
    expect(rest.stop.kind).toBe('clean');
  });

  it('moves to a new segment when one is full, ending the old one', () => {
    const dir = tempDir();
    const writer = new LogWriter({ dir, maxBytes: 1 << 20, segmentMaxBytes: 100 });
    for (let i = 0; i < 5; i++) writer.append(spans('x'.repeat(40)));
    writer.close();
    const segments = listSegments(dir);
    expect(segments.length).toBeGreaterThan(1);
    const first = readSegment(segments[0]!.path, 0);
    expect(decodeControl(first.records.at(-1)!)).toMatchObject({ kind: 'end', final: false });
    const payloads = segments.flatMap((s) => readSegment(s.path, 0).records.filter((r) => r.type === RecordType.Spans));
    expect(payloads).toHaveLength(5);
  });

  it('refuses a record past TRACETAPE_LOG_MAX_BYTES with a log-full error, and still takes control records', () => {
    const dir = tempDir();
    const writer = new LogWriter({ dir, maxBytes: 200 });
    writer.append(spans('x'.repeat(100)));
    let error: unknown;
    try {
      writer.append(spans('y'.repeat(100)));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LogWriteError);
    expect((error as LogWriteError).failure).toBe('log-full');
    expect((error as Error).message).toMatch(/TRACETAPE_LOG_MAX_BYTES.*tracetape ingest/);
    writer.appendControl({ kind: 'loss', traceId: 'a'.repeat(32), spans: 1, reason: 'log full' });
    const records = readSegment(listSegments(dir)[0]!.path, 0).records;
    expect(records.map((r) => r.type)).toEqual([RecordType.Spans, RecordType.Control]);
  });

  it('says the directory cannot be written, naming it', () => {
    const dir = tempDir();
    const blocked = path.join(dir, 'file');
    fs.writeFileSync(blocked, '');
    const writer = new LogWriter({ dir: path.join(blocked, 'log'), maxBytes: 1 << 20 });
    expect(() => writer.append(spans('a'))).toThrow(/could not write the recording log at .*file\/log/);
  });
});

describe('IngestState', () => {
  it('redoes an announced insert after a crash, and forgets it once committed', () => {
    const dir = tempDir();
    const state = new IngestState(dir);
    state.begin({ id: 'x', ranges: [{ segment: 's1', from: 0, to: 10 }] });
    const afterCrash = new IngestState(dir);
    expect(afterCrash.pending).toEqual({ id: 'x', ranges: [{ segment: 's1', from: 0, to: 10 }] });
    expect(afterCrash.offset('s1')).toBe(0);
    afterCrash.commit();
    const later = new IngestState(dir);
    expect(later.pending).toBeUndefined();
    expect(later.offset('s1')).toBe(10);
  });

  it('refuses a damaged state file with what to do', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ingest-state.json'), '{not json');
    expect(() => new IngestState(dir)).toThrow(/damaged.*move the file aside/);
  });
});

describe('liveness and the ingest lock', () => {
  it('tells a running writer from a gone one', () => {
    expect(writerMayBeAlive({ pid: process.pid, threadId: 0, startedMs: Date.now() })).toBe(true);
    expect(writerMayBeAlive({ pid: 2 ** 22 + 12345, threadId: 0, startedMs: Date.now() })).toBe(false);
    // pid 1 is alive, but it started after a writer created a day ago: the pid was reused.
    expect(writerMayBeAlive({ pid: 1, threadId: 0, startedMs: Date.now() - 86_400_000 - os.uptime() * 1000 })).toBe(false);
    expect(writerMayBeAlive({ pid: 1, threadId: 0, startedMs: Date.now() })).toBe(true);
  });

  it('lets one ingester in at a time and takes over a dead owner\'s lock', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'ingest.lock'), String(2 ** 22 + 54321));
    const lock = new IngestLock(dir);
    expect(lock.tryAcquire()).toBe(true);
    expect(lock.owner()).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'ingest.lock'))).toBe(false);
  });
});

describe('logDirOf', () => {
  it('gives the embedded store, each server and each collector a log of its own', async () => {
    const { logDirOf } = await import('../src/index.js');
    const embedded = logDirOf('/data/store');
    expect(embedded).toBe('/data/store/tracetape-log');
    const server = logDirOf('/data/store', { server: 'http://ch:8123', database: 'traces' });
    const otherDatabase = logDirOf('/data/store', { server: 'http://ch:8123', database: 'other' });
    const otlp = logDirOf('/data/store', { otlp: 'http://collector:4318/v1/traces' });
    expect(server).toMatch(/^\/data\/store\/tracetape-log-server-[0-9a-f]{12}$/);
    expect(otlp).toMatch(/^\/data\/store\/tracetape-log-otlp-[0-9a-f]{12}$/);
    expect(new Set([embedded, server, otherDatabase, otlp]).size).toBe(4);
    expect(logDirOf('/data/store', { server: 'http://ch:8123', database: 'traces' })).toBe(server);
  });
});
