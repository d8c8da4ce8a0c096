/**
 * ClickHouse's RowBinary encoding of the rows the embedded store inserts. Measured against the
 * text formats chDB accepts (bench/exporter-ceiling.mjs): the engine parses a payload row's
 * length-prefixed string about three times faster than the same row as JSON, whose payload text is
 * JSON escaped inside JSON. See BENCHMARKS.md.
 */
import { PAYLOADS_COLUMNS } from './schema.js';
import type { PayloadRow } from './store.js';

/** The payload table's columns, in the order encodePayloadRow writes them (the table's own). */
export const PAYLOAD_ROW_BINARY_COLUMNS: readonly string[] = PAYLOADS_COLUMNS.map((column) => column.name);
/** Those columns and their types, as `file()`'s structure argument. */
export const PAYLOAD_ROW_BINARY_STRUCTURE = PAYLOADS_COLUMNS.map((column) => `${column.name} ${column.type}`).join(', ');

const NANOS_PER_SECOND = 1_000_000_000n;
// 'YYYY-MM-DD hh:mm:ss' then an optional fraction of up to nine digits, UTC (formatTimestamp's shape).
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Nanoseconds since the epoch of a stored timestamp, as DateTime64(9) holds it. */
export function timestampNanos(timestamp: string): bigint {
  const match = TIMESTAMP.exec(timestamp);
  if (!match) throw new TypeError(`"${timestamp}" is not a 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' timestamp`);
  const [, year, month, day, hour, minute, second, fraction = ''] = match;
  const seconds = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) / 1000;
  return BigInt(seconds) * NANOS_PER_SECOND + BigInt(fraction.padEnd(9, '0'));
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}

/** Writes values into a buffer sized for them up front. */
class RowBinaryWriter {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  private varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.offset++] = value;
  }

  string(value: string, byteLength: number): void {
    this.varint(byteLength);
    this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
  }

  uint64(value: number): void {
    this.buffer.writeBigUInt64LE(BigInt(value), this.offset);
    this.offset += 8;
  }

  int64(value: bigint): void {
    this.buffer.writeBigInt64LE(value, this.offset);
    this.offset += 8;
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }
}

/** One payload row in RowBinary, columns in PAYLOAD_ROW_BINARY_COLUMNS order. */
export function encodePayloadRow(row: PayloadRow): Buffer {
  const hashBytes = Buffer.byteLength(row.Hash, 'utf8');
  const dataBytes = Buffer.byteLength(row.Data, 'utf8');
  const writer = new RowBinaryWriter(Buffer.allocUnsafe(varintLength(hashBytes) + hashBytes + varintLength(dataBytes) + dataBytes + 16));
  writer.string(row.Hash, hashBytes);
  writer.string(row.Data, dataBytes);
  writer.uint64(row.Size);
  writer.int64(timestampNanos(row.Timestamp));
  return writer.done();
}
