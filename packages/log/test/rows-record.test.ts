import { describe, expect, it } from 'vitest';
import { countSpans, decodeRecords, decodeRowsRecord, encodeRecord, encodeRowsRecord, LogReadError, RecordType, rowsRecordLength } from '../src/index.js';

const batch = { spanRows: 3, spans: Buffer.from('span rows block'), payloadRows: 2, payloads: Buffer.from('payload rows block, longer') };

describe('rows records', () => {
  it('frame both blocks with their row counts, read back as views, and count spans from the header alone', () => {
    const record = encodeRowsRecord(batch);
    expect(record.length).toBe(rowsRecordLength(batch));
    const [read] = decodeRecords(record).records;
    expect(read?.type).toBe(RecordType.Rows);
    const rows = decodeRowsRecord(read!);
    expect(rows.spanRows).toBe(3);
    expect(rows.payloadRows).toBe(2);
    expect(rows.spans.toString()).toBe('span rows block');
    expect(rows.payloads.toString()).toBe('payload rows block, longer');
    expect(countSpans(read!)).toBe(3);
  });

  it('encode into a scratch buffer large enough, and into a new one otherwise, identically', () => {
    const scratch = Buffer.alloc(1024, 0xaa);
    const inScratch = encodeRowsRecord(batch, scratch);
    expect(inScratch.buffer).toBe(scratch.buffer);
    const tooSmall = Buffer.alloc(8);
    const fresh = encodeRowsRecord(batch, tooSmall);
    expect(fresh.buffer).not.toBe(tooSmall.buffer);
    expect(Buffer.compare(inScratch, fresh)).toBe(0);
    expect(Buffer.compare(inScratch, encodeRowsRecord(batch))).toBe(0);
  });

  it('are checksummed like every record: a changed byte in a block stops the read there', () => {
    const record = encodeRowsRecord(batch);
    record[record.length - 3] ^= 0x01;
    expect(decodeRecords(record)).toMatchObject({ records: [], stop: { kind: 'corrupt', reason: 'checksum mismatch' } });
  });

  it('refuse a payload whose block lengths do not add up (a writer bug, not damage the CRC would catch)', () => {
    const header = Buffer.alloc(16);
    header.writeUInt32LE(1, 0);
    header.writeUInt32LE(100, 4);
    const [read] = decodeRecords(encodeRecord(RecordType.Rows, Buffer.concat([header, Buffer.from('short')]))).records;
    expect(() => decodeRowsRecord(read!)).toThrow(LogReadError);
    expect(() => decodeRowsRecord(read!)).toThrow(/blocks that do not add up to its 21 bytes/);
  });
});
