import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '@tracetape/core';
import { ChdbSpanStore, decodeSpanRows, RowBinaryWriter, SPAN_ROW_BINARY_COLUMNS, withEmptyTraceIds, writePayloadRow, writeSpanRow, type PayloadRow, type SpanRow } from '../src/index.js';
import { INSERT_FILES_DIR } from '../src/insert-files.js';
import { decodeStringPairs, timestampNanos } from '../src/row-binary.js';
import { tempDir } from './spans.js';

function payload(data: string, timestamp: string): PayloadRow {
  return { Hash: sha256Hex(data), Data: data, Size: Buffer.byteLength(data), Timestamp: timestamp };
}

describe('timestampNanos', () => {
  it('reads a stored timestamp as nanoseconds since the epoch, UTC', () => {
    expect(timestampNanos('1970-01-01 00:00:00.000000001')).toBe(1n);
    expect(timestampNanos('2026-11-23 02:45:07.123456789')).toBe(BigInt(Date.UTC(2026, 10, 23, 2, 45, 7)) * 1_000_000n + 123_456_789n);
    // A shorter fraction is a fraction of a second, not a count of nanoseconds.
    expect(timestampNanos('2026-11-23 02:45:07.5')).toBe(BigInt(Date.UTC(2026, 10, 23, 2, 45, 7)) * 1_000_000n + 500_000_000n);
    expect(timestampNanos('2026-11-23 02:45:07')).toBe(BigInt(Date.UTC(2026, 10, 23, 2, 45, 7)) * 1_000_000n);
  });

  it('refuses text that is not a stored timestamp', () => {
    expect(() => timestampNanos('2026-11-23T02:45:07Z')).toThrow(/is not a 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' timestamp/);
  });
});

describe('decodeStringPairs', () => {
  it('reads rows of two strings, long and multi-byte ones included', () => {
    const writer = new RowBinaryWriter(16);
    const long = 'é'.repeat(70_000) + '😀';
    const rows: [string, string][] = [['a', ''], ['', long], ['ß\n\t"', 'x'.repeat(200)]];
    for (const [first, second] of rows) {
      writer.string(first);
      writer.string(second);
    }
    expect(decodeStringPairs(writer.bytes())).toEqual(rows);
    expect(decodeStringPairs(new Uint8Array(0))).toEqual([]);
  });

  it('refuses bytes that end inside a row', () => {
    const writer = new RowBinaryWriter(16);
    writer.string('hash');
    writer.string('data');
    expect(() => decodeStringPairs(writer.bytes().subarray(0, 8))).toThrow(RangeError);
  });
});

describe('withEmptyTraceIds', () => {
  /** Payload rows as a tracetape before TraceId encoded them: Hash, Data, Size, Timestamp. */
  function legacyRows(rows: PayloadRow[]): Buffer {
    const writer = new RowBinaryWriter(16);
    for (const row of rows) {
      writer.string(row.Hash);
      writer.string(row.Data);
      writer.uint64(BigInt(row.Size));
      writer.int64(timestampNanos(row.Timestamp));
    }
    return writer.bytes();
  }

  it("gives an earlier tracetape's payload rows today's columns, each with an empty TraceId", () => {
    // A length over 127 takes a two-byte varint, one over 16383 three.
    const rows = [payload('a', '2026-11-23 02:45:07.000000001'), payload('é'.repeat(200), '2026-11-23 02:45:08.5'), payload('x'.repeat(20_000), '2026-11-24 00:00:00')];
    const today = new RowBinaryWriter(16);
    for (const row of rows) writePayloadRow(today, { ...row, TraceId: '' });
    expect(withEmptyTraceIds(legacyRows(rows))).toEqual(today.bytes());
    expect(withEmptyTraceIds(new Uint8Array(0))).toEqual(Buffer.alloc(0));
  });

  it('refuses rows that end mid-row', () => {
    const bytes = legacyRows([payload('data', '2026-11-23 02:45:07')]);
    expect(() => withEmptyTraceIds(bytes.subarray(0, bytes.length - 3))).toThrow(RangeError);
  });
});

describe('payload rows inserted as RowBinary into the embedded store', () => {
  const dir = tempDir('row-binary');
  let store: ChdbSpanStore;
  const insertFiles = join(dir.dir, INSERT_FILES_DIR);

  beforeAll(async () => {
    store = new ChdbSpanStore({ dir: dir.dir });
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  async function stored(hashes: string[]): Promise<Array<{ Hash: string; Size: string; Timestamp: string }>> {
    const text = await store.query(
      `SELECT Hash, toString(Size) AS Size, toString(Timestamp) AS Timestamp FROM tracetape_payloads WHERE Hash IN (${hashes.map((h) => `'${h}'`).join(',')}) ORDER BY Timestamp`,
      'JSONEachRow',
    );
    return text.trim().split('\n').map((line) => JSON.parse(line) as { Hash: string; Size: string; Timestamp: string });
  }

  it('reads back every byte, size and nanosecond, and leaves no file behind', async () => {
    // Multi-byte UTF-8, every control character, quotes and backslashes, nothing, and megabytes:
    // what a length-prefixed string must carry unchanged where a text format would escape.
    const rows = [
      payload('{"text":"naïve café — 日本語 🎉"}', '2026-11-23 01:00:00.000000001'),
      payload(Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + `\\'"\t\n`, '2026-11-23 01:00:00.123456789'),
      payload('', '2026-11-23 01:00:01.000000000'),
      payload('y'.repeat(3 * 1024 * 1024 + 7), '2026-11-23 01:00:02.999999999'),
    ];
    await store.insert([], rows);

    const found = await store.getPayloads(rows.map((r) => r.Hash));
    for (const row of rows) expect(found.get(row.Hash), `payload of ${row.Size} bytes`).toBe(row.Data);
    expect(await stored(rows.map((r) => r.Hash))).toEqual(rows.map((r) => ({ Hash: r.Hash, Size: String(r.Size), Timestamp: r.Timestamp })));
    expect(readdirSync(insertFiles)).toEqual([]);
  });

  it('inserts the same way from an exit handler (insertSync)', async () => {
    const row = payload('written while exiting', '2026-11-23 01:00:03.000000042');
    store.insertSync([], [row]);
    expect((await store.getPayloads([row.Hash])).get(row.Hash)).toBe(row.Data);
    expect(await stored([row.Hash])).toEqual([{ Hash: row.Hash, Size: String(row.Size), Timestamp: row.Timestamp }]);
    expect(readdirSync(insertFiles)).toEqual([]);
  });

  it('stores a batch sent again by a later process once (its insert token still applies)', async () => {
    const rows = [payload('resent one', '2026-11-23 01:00:07.000000000'), payload('resent two', '2026-11-23 01:00:07.000000001')];
    await store.insert([], rows);
    // A new store remembers nothing it wrote: only ClickHouse's insert deduplication can drop the copy.
    await store.close();
    store = new ChdbSpanStore({ dir: dir.dir });
    await store.insert([], structuredClone(rows));
    const count = await store.query(`SELECT count() FROM tracetape_payloads WHERE Hash IN ('${rows[0]!.Hash}', '${rows[1]!.Hash}')`, 'TabSeparated');
    expect(Number(count)).toBe(2);
  });

  it('clears insert files a crashed process left when a new store first inserts', async () => {
    const fresh = tempDir('row-binary-leftover');
    const leftover = join(fresh.dir, INSERT_FILES_DIR, '12345-0.rowbinary');
    mkdirSync(join(fresh.dir, INSERT_FILES_DIR), { recursive: true });
    writeFileSync(leftover, 'bytes of an insert that never ran');
    await store.close();
    store = new ChdbSpanStore({ dir: fresh.dir });
    try {
      await store.init();
      const row = payload('after a crash', '2026-11-23 01:00:04.000000000');
      await store.insert([], [row]);
      expect(existsSync(leftover)).toBe(false);
      expect((await store.getPayloads([row.Hash])).get(row.Hash)).toBe(row.Data);
    } finally {
      await store.close();
      fresh.remove();
      store = new ChdbSpanStore({ dir: dir.dir });
    }
  });

  it('says which directory it could not write to, and inserts again once it can', async () => {
    await store.insert([], [payload('makes the folder', '2026-11-23 01:00:05.000000000')]);
    // A file where the folder should be: every write under it fails, as on a full or read-only disk.
    rmSync(insertFiles, { recursive: true, force: true });
    writeFileSync(insertFiles, 'not a directory');
    const row = payload('blocked', '2026-11-23 01:00:06.000000000');
    const error = await store.insert([], [row]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TRACETAPE_STORE_UNAVAILABLE' });
    expect((error as Error).message).toContain(`could not write rows for the engine under ${insertFiles}`);
    expect((error as Error).message).toContain('Free space on that disk or make that directory writable');
    expect(() => store.insertSync([], [row])).toThrow(/could not write rows for the engine/);

    rmSync(insertFiles, { force: true });
    mkdirSync(insertFiles);
    await store.insert([], [row]);
    expect((await store.getPayloads([row.Hash])).get(row.Hash)).toBe(row.Data);
  });
});

describe('span rows inserted as RowBinary into the embedded store', () => {
  const dir = tempDir('row-binary-spans');
  let store: ChdbSpanStore;

  beforeAll(async () => {
    store = new ChdbSpanStore({ dir: dir.dir });
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  // Every column carries something: maps with multi-byte keys and values, a Duration past 2^53,
  // events and links with attributes, a trace state, and text a text format would escape.
  const row: SpanRow = {
    Timestamp: '2026-11-23 01:00:00.123456789',
    TraceId: 'a'.repeat(32),
    SpanId: 'b'.repeat(16),
    ParentSpanId: 'c'.repeat(16),
    TraceState: 'vendor=opaque,other=1',
    SpanName: 'POST /v1/chat — 日本語',
    SpanKind: 'Client',
    ServiceName: 'row-binary-test',
    ResourceAttributes: { 'service.name': 'row-binary-test', 'host.name': 'naïve-host' },
    ScopeName: 'tracetape',
    ScopeVersion: '1.2.3',
    SpanAttributes: { 'tracetape.request': `{"q":"quote \\" and tab \t and newline \n"}`, empty: '', 'emoji 🎉': 'yes' },
    Duration: '9007199254740993',
    StatusCode: 'Error',
    StatusMessage: 'it went wrong\nover two lines',
    'Events.Timestamp': ['2026-11-23 01:00:00.200000000', '2026-11-23 01:00:00.300000001'],
    'Events.Name': ['retry', 'exception'],
    'Events.Attributes': [{ attempt: '2' }, { 'exception.message': 'ECONNRESET' }],
    'Links.TraceId': ['d'.repeat(32)],
    'Links.SpanId': ['e'.repeat(16)],
    'Links.TraceState': ['k=v'],
    'Links.Attributes': [{ why: 'retry of' }],
  };

  it('writes its columns in the order of the span table the store creates', async () => {
    const text = await store.query("SELECT name FROM system.columns WHERE table = 'otel_traces' AND default_kind = '' ORDER BY position", 'TabSeparated');
    expect(text.trim().split('\n')).toEqual([...SPAN_ROW_BINARY_COLUMNS]);
  });

  it('decodes back to the same row without the engine', () => {
    const second = { ...row, SpanId: '2'.repeat(16), 'Events.Timestamp': [], 'Events.Name': [], 'Events.Attributes': [], ResourceAttributes: {} };
    const writer = new RowBinaryWriter(16);
    writeSpanRow(writer, row);
    writeSpanRow(writer, second);
    expect(decodeSpanRows(writer.view())).toEqual([row, second]);
    expect(() => decodeSpanRows(writer.view().subarray(0, writer.length - 3))).toThrow(/end mid-row/);
  });

  it('reads back every column unchanged', async () => {
    await store.insert([row], []);
    expect(await store.getTraceSpans(row.TraceId)).toEqual([row]);
  });

  it('reads only the columns asked for, and the others as empty values of their type', async () => {
    const narrow = await store.getTraceSpans(row.TraceId, { columns: ['SpanName', 'SpanAttributes', 'Duration'] });
    expect(narrow).toEqual([
      {
        ...row,
        TraceState: '',
        SpanKind: '',
        ServiceName: '',
        ResourceAttributes: {},
        ScopeName: '',
        ScopeVersion: '',
        StatusCode: '',
        StatusMessage: '',
        'Events.Timestamp': [],
        'Events.Name': [],
        'Events.Attributes': [],
        'Links.TraceId': [],
        'Links.SpanId': [],
        'Links.TraceState': [],
        'Links.Attributes': [],
      },
    ]);
  });

  it('reads back unchanged when inserted as blocks the recording log carried (insertEncoded)', async () => {
    const copy = { ...row, TraceId: 'f'.repeat(32) };
    const writer = new RowBinaryWriter(16);
    writeSpanRow(writer, copy);
    const encoded = writer.bytes();
    // Two blocks of one row each, as two records would carry them; then the same insert again.
    const second = { ...copy, SpanId: '1'.repeat(16) };
    const more = new RowBinaryWriter(16);
    writeSpanRow(more, second);
    for (let i = 0; i < 2; i++) await store.insertEncoded({ spanRows: 2, spans: [encoded, more.view()], payloadRows: 0, payloads: [] }, [], 'insert-1');
    const back = await store.getTraceSpans(copy.TraceId);
    expect(back).toHaveLength(2);
    expect(back).toEqual(expect.arrayContaining([copy, second]));
  });
});
