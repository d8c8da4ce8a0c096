/**
 * ClickHouse's RowBinary encoding of the rows tracetape inserts. Measured against the text formats
 * (bench/exporter-ceiling.mjs): the engine parses a payload row's length-prefixed string about
 * three times faster than the same row as JSON, whose payload text is JSON escaped inside JSON,
 * and a span row several times faster than its JSONEachRow line. See BENCHMARKS.md.
 */
import { PAYLOADS_COLUMNS, TRACES_COLUMNS } from './schema.js';
import { formatNanos } from './span-rows.js';
import type { PayloadRow, SpanRow } from './store.js';

/** The payload table's columns, in the order encodePayloadRow writes them (the table's own). */
export const PAYLOAD_ROW_BINARY_COLUMNS: readonly string[] = PAYLOADS_COLUMNS.map((column) => column.name);
/** Those columns and their types, as `file()`'s structure argument. */
export const PAYLOAD_ROW_BINARY_STRUCTURE = PAYLOADS_COLUMNS.map((column) => `${column.name} ${column.type}`).join(', ');

const STORED_TRACES_COLUMNS = TRACES_COLUMNS.filter((column) => column.defaultKind === undefined);
/** The span table's stored columns, in the order encodeSpanRow writes them (today's DDL order). */
export const SPAN_ROW_BINARY_COLUMNS: readonly string[] = STORED_TRACES_COLUMNS.map((column) => column.name);
/** Those columns and their types; nested names quoted, as a structure argument needs them. */
export const SPAN_ROW_BINARY_STRUCTURE = STORED_TRACES_COLUMNS.map((column) => `\`${column.name}\` ${column.type}`).join(', ');

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

/**
 * Appends values to one growing buffer: a whole batch of rows encodes into a single allocation,
 * which the insert then hands to the engine as it is.
 */
export class RowBinaryWriter {
  private buffer: Buffer;
  private offset = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.offset;
  }

  /** Starts over, keeping the buffer: its pages are already mapped, a new one's would fault in again. */
  reset(): void {
    this.offset = 0;
  }

  private reserve(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  varint(value: number): void {
    this.reserve(10);
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.offset++] = value;
  }

  string(value: string): void {
    // Latin-1 and ASCII text is at most 3 bytes a character in UTF-8, so this bound always holds.
    const bound = value.length * 3;
    if (bound < 0x80) {
      // Short strings: write first, then the one-byte length in the slot left before them.
      this.reserve(1 + bound);
      const written = this.buffer.write(value, this.offset + 1, 'utf8');
      this.buffer[this.offset] = written;
      this.offset += 1 + written;
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.reserve(bytes);
    this.offset += this.buffer.write(value, this.offset, bytes, 'utf8');
  }

  map(value: Readonly<Record<string, string>>): void {
    const keys = Object.keys(value);
    this.varint(keys.length);
    for (const key of keys) {
      this.string(key);
      this.string(value[key]!);
    }
  }

  uint64(value: bigint): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(value, this.offset);
    this.offset += 8;
  }

  int64(value: bigint): void {
    this.reserve(8);
    this.buffer.writeBigInt64LE(value, this.offset);
    this.offset += 8;
  }

  /** The bytes written so far, copied out; the writer can go on or be dropped. */
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.offset));
  }

  /** The bytes written so far, without a copy: valid until the writer writes again. */
  view(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }
}

/**
 * One payload row in RowBinary, columns in PAYLOAD_ROW_BINARY_COLUMNS order. `nanos`, when the
 * caller has it, is `row.Timestamp` as a number already: the encoder of a span's rows reads its
 * start time once instead of parsing the text it was printed as.
 */
export function writePayloadRow(writer: RowBinaryWriter, row: PayloadRow, nanos: bigint = timestampNanos(row.Timestamp)): void {
  writer.string(row.TraceId ?? '');
  writer.string(row.Hash);
  writer.string(row.Data);
  writer.uint64(BigInt(row.Size));
  writer.int64(nanos);
}

export function encodePayloadRow(row: PayloadRow): Buffer {
  const writer = new RowBinaryWriter(Buffer.byteLength(row.Data, 'utf8') + 160);
  writePayloadRow(writer, row);
  return writer.view();
}

function stringArray(writer: RowBinaryWriter, values: readonly string[]): void {
  writer.varint(values.length);
  for (const value of values) writer.string(value);
}

/** One span row in RowBinary, columns in SPAN_ROW_BINARY_COLUMNS order; `nanos` as for writePayloadRow. */
export function writeSpanRow(writer: RowBinaryWriter, row: SpanRow, nanos: bigint = timestampNanos(row.Timestamp)): void {
  writer.int64(nanos);
  writer.string(row.TraceId);
  writer.string(row.SpanId);
  writer.string(row.ParentSpanId);
  writer.string(row.TraceState);
  writer.string(row.SpanName);
  writer.string(row.SpanKind);
  writer.string(row.ServiceName);
  writer.map(row.ResourceAttributes);
  writer.string(row.ScopeName);
  writer.string(row.ScopeVersion);
  writer.map(row.SpanAttributes);
  writer.uint64(BigInt(row.Duration));
  writer.string(row.StatusCode);
  writer.string(row.StatusMessage);
  writer.varint(row['Events.Timestamp'].length);
  for (const timestamp of row['Events.Timestamp']) writer.int64(timestampNanos(timestamp));
  stringArray(writer, row['Events.Name']);
  writer.varint(row['Events.Attributes'].length);
  for (const attributes of row['Events.Attributes']) writer.map(attributes);
  stringArray(writer, row['Links.TraceId']);
  stringArray(writer, row['Links.SpanId']);
  stringArray(writer, row['Links.TraceState']);
  writer.varint(row['Links.Attributes'].length);
  for (const attributes of row['Links.Attributes']) writer.map(attributes);
}

export function encodeSpanRow(row: SpanRow): Buffer {
  const writer = new RowBinaryWriter(4096);
  writeSpanRow(writer, row);
  return writer.bytes();
}

/** Reads back what RowBinaryWriter wrote; throws a RangeError on bytes that end mid-row. */
class RowBinaryReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  get position(): number {
    return this.offset;
  }

  skip(count: number): void {
    this.need(count);
    this.offset += count;
  }

  skipString(): void {
    this.skip(this.varint());
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw new RangeError(`RowBinary rows end mid-row at byte ${this.offset}`);
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      this.need(1);
      const byte = this.bytes[this.offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }

  string(): string {
    const length = this.varint();
    this.need(length);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, length).toString('utf8');
    this.offset += length;
    return text;
  }

  map(): Record<string, string> {
    const map: Record<string, string> = {};
    for (let n = this.varint(); n > 0; n--) {
      const key = this.string();
      map[key] = this.string();
    }
    return map;
  }

  int64(): bigint {
    this.need(8);
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8).readBigInt64LE(0);
    this.offset += 8;
    return value;
  }

  list<T>(read: () => T): T[] {
    return Array.from({ length: this.varint() }, read);
  }
}

/** Span rows back from RowBinary in SPAN_ROW_BINARY_COLUMNS order: for tools and tests that read a log. */
export function decodeSpanRows(bytes: Uint8Array): SpanRow[] {
  const reader = new RowBinaryReader(bytes);
  const rows: SpanRow[] = [];
  while (!reader.done) {
    const Timestamp = formatNanos(reader.int64());
    const [TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName] = Array.from({ length: 7 }, () => reader.string());
    const ResourceAttributes = reader.map();
    const [ScopeName, ScopeVersion] = [reader.string(), reader.string()];
    const SpanAttributes = reader.map();
    const Duration = BigInt.asUintN(64, reader.int64()).toString();
    const [StatusCode, StatusMessage] = [reader.string(), reader.string()];
    rows.push({
      Timestamp,
      TraceId: TraceId!,
      SpanId: SpanId!,
      ParentSpanId: ParentSpanId!,
      TraceState: TraceState!,
      SpanName: SpanName!,
      SpanKind: SpanKind!,
      ServiceName: ServiceName!,
      ResourceAttributes,
      ScopeName,
      ScopeVersion,
      SpanAttributes,
      Duration,
      StatusCode,
      StatusMessage,
      'Events.Timestamp': reader.list(() => formatNanos(reader.int64())),
      'Events.Name': reader.list(() => reader.string()),
      'Events.Attributes': reader.list(() => reader.map()),
      'Links.TraceId': reader.list(() => reader.string()),
      'Links.SpanId': reader.list(() => reader.string()),
      'Links.TraceState': reader.list(() => reader.string()),
      'Links.Attributes': reader.list(() => reader.map()),
    });
  }
  return rows;
}

/**
 * Payload rows encoded before payload rows named their trace (Hash, Data, Size, Timestamp: a
 * recording log written by an earlier tracetape), in today's columns with an empty TraceId, which
 * readers find from any trace. Throws a RangeError on bytes that end mid-row.
 */
export function withEmptyTraceIds(legacy: Uint8Array): Buffer {
  const reader = new RowBinaryReader(legacy);
  const rowStarts: number[] = [];
  while (!reader.done) {
    rowStarts.push(reader.position);
    reader.skipString();
    reader.skipString();
    reader.skip(16);
  }
  // An empty String is its length alone, one zero byte, in front of each row.
  const upgraded = Buffer.allocUnsafe(legacy.length + rowStarts.length);
  let at = 0;
  rowStarts.forEach((start, i) => {
    const end = rowStarts[i + 1] ?? legacy.length;
    upgraded[at++] = 0;
    upgraded.set(legacy.subarray(start, end), at);
    at += end - start;
  });
  return upgraded;
}

/** The rows of a RowBinary result of two String columns (a SELECT of hashes and payload text). */
export function decodeStringPairs(bytes: Uint8Array): [string, string][] {
  const reader = new RowBinaryReader(bytes);
  const rows: [string, string][] = [];
  while (!reader.done) rows.push([reader.string(), reader.string()]);
  return rows;
}
