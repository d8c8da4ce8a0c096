import fs from 'node:fs';
import { LogReadError } from './errors.js';
import { decodeRecords, RECORD_HEADER_BYTES, type DecodedRecords } from './record-format.js';

/** Default bound on the bytes one read holds: large inserts, bounded memory. */
export const DEFAULT_READ_BYTES = 64 * 1024 * 1024;

/** Where a read puts its bytes: a buffer of at least `bytes`, which the records then point into. */
export type ReadBufferSource = (bytes: number) => Buffer;

const freshBuffer: ReadBufferSource = (bytes) => Buffer.allocUnsafe(bytes);

/**
 * The whole records of a segment from `from` on, up to about `maxBytes` (always at least one
 * record, however large). Bytes past the last whole record are left for a later read: a writer
 * may still be appending them. The records are views into the buffer `buffers` gave (by default
 * a new one), valid as long as that buffer is not reused.
 */
export function readSegment(file: string, from: number, maxBytes = DEFAULT_READ_BYTES, buffers: ReadBufferSource = freshBuffer): DecodedRecords & { size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new LogReadError(`could not open the log segment ${file}: ${(error as Error).message}`, error);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (from >= size) return { records: [], next: from, stop: { kind: 'clean' }, size };
    let want = Math.min(size - from, maxBytes);
    for (;;) {
      const bytes = buffers(want).subarray(0, want);
      const got = readFully(fd, bytes, from);
      const decoded = decodeRecords(bytes.subarray(0, got), from);
      // One record larger than the read: read exactly as much as it says it needs.
      if (decoded.records.length === 0 && decoded.stop.kind === 'incomplete' && got === want && from + want < size) {
        const header = bytes.subarray(0, RECORD_HEADER_BYTES);
        want = Math.min(size - from, header.length === RECORD_HEADER_BYTES ? RECORD_HEADER_BYTES + header.readUInt32LE(8) : want * 2);
        continue;
      }
      // Stopped only because the read ended: more may follow in the file, so it is not the tail.
      if (decoded.stop.kind === 'incomplete' && from + got < size) return { ...decoded, stop: { kind: 'clean' }, size };
      return { ...decoded, size };
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, into: Buffer, position: number): number {
  let got = 0;
  while (got < into.length) {
    const n = fs.readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
