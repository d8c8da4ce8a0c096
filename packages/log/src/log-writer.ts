import fs from 'node:fs';
import path from 'node:path';
import { logFull, logWriteFailed, LogWriteError } from './errors.js';
import { ensureSpaceReserve } from './log-dir.js';
import { encodeControl, type ControlRecord } from './record-format.js';
import { currentWriter, segmentFileName, SEGMENT_SUFFIX, writerKey, type WriterIdentity } from './segment-name.js';

export interface LogWriterOptions {
  /** The log directory (created on first write). */
  dir: string;
  /** Bound on the whole directory, every writer's segments together (TRACETAPE_LOG_MAX_BYTES). */
  maxBytes: number;
  /** A segment this large is ended and the next one started, so ingest can remove what it stored. */
  segmentMaxBytes?: number;
}

export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024 * 1024;
const DEFAULT_SEGMENT_MAX_BYTES = 32 * 1024 * 1024;
/** Control records are tiny and say what was lost: they may pass the bound by this much. */
const CONTROL_ALLOWANCE_BYTES = 1024 * 1024;
/** How stale the directory's size may be before a write that would pass the bound looks again. */
const SIZE_RESCAN_MS = 250;

/**
 * Appends records to segment files of its own: no lock, no coordination with other writers, so
 * any number of processes and threads record into one directory. Writes are synchronous: a
 * record is in the file (the OS's page cache) when append returns, which keeps the exit path and
 * the count of what was written exact; what the app's thread spends is measured in BENCHMARKS.md.
 * A failed write is cut back off the file, so a reader never meets a half record mid-segment.
 */
export class LogWriter {
  readonly dir: string;
  readonly writer: WriterIdentity;
  private readonly maxBytes: number;
  private readonly segmentMaxBytes: number;
  private fd: number | undefined;
  private segmentPath: string | undefined;
  private segmentBytes = 0;
  private sequence = 0;
  private dirBytes: number | undefined;
  private dirBytesAt = 0;
  private closed = false;

  constructor(options: LogWriterOptions) {
    this.dir = path.resolve(options.dir);
    this.maxBytes = options.maxBytes;
    this.segmentMaxBytes = options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES;
    this.writer = currentWriter();
  }

  /** The key this writer's runs are stored under (see writerKey). */
  get key(): string {
    return writerKey(this.writer);
  }

  get currentSegment(): string | undefined {
    return this.segmentPath;
  }

  /** Appends one encoded record. Throws LogWriteError; the record is then not in the log. */
  append(record: Buffer): void {
    if (this.closed) throw new LogWriteError('unwritable', `the recording log writer for ${this.dir} was already closed`);
    this.ensureRoom(record.length, this.maxBytes);
    this.write(record);
  }

  /** A control record: allowed a little past the bound, so a full log can still say what it lost. */
  appendControl(control: ControlRecord): void {
    if (this.closed) return;
    const record = encodeControl(control);
    this.ensureRoom(record.length, this.maxBytes + CONTROL_ALLOWANCE_BYTES);
    this.write(record);
  }

  /** Ends the segment for good (an `end` record), so ingest knows nothing more will come. Never throws. */
  close(): void {
    if (this.closed) return;
    if (this.fd !== undefined) {
      try {
        this.appendControl({ kind: 'end', pid: process.pid, final: true });
      } catch {
        // Without its end record the segment reads as cut off, which is what it then is.
      }
    }
    this.closed = true;
    this.closeFile();
  }

  private write(record: Buffer): void {
    if (this.fd === undefined || this.segmentBytes + record.length > this.segmentMaxBytes) this.rotate();
    const fd = this.fd!;
    try {
      let written = 0;
      while (written < record.length) written += fs.writeSync(fd, record, written);
    } catch (error) {
      try {
        fs.ftruncateSync(fd, this.segmentBytes);
      } catch {
        // A file we cannot cut back reads as torn at this point; ingest reports it.
      }
      throw logWriteFailed(this.dir, error);
    }
    this.segmentBytes += record.length;
    if (this.dirBytes !== undefined) this.dirBytes += record.length;
  }

  private rotate(): void {
    if (this.fd !== undefined) {
      // Full segment: ended for good, the next one carries on.
      const end = encodeControl({ kind: 'end', pid: process.pid, final: false });
      try {
        fs.writeSync(this.fd, end);
      } catch {
        // As above: reads as cut off.
      }
      this.closeFile();
    }
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      // Room for the ingester, should this disk fill up (see ensureSpaceReserve).
      ensureSpaceReserve(this.dir);
      this.sequence++;
      const file = path.join(this.dir, segmentFileName(this.writer, this.sequence));
      this.fd = fs.openSync(file, 'a');
      this.segmentPath = file;
      this.segmentBytes = 0;
    } catch (error) {
      this.fd = undefined;
      throw logWriteFailed(this.dir, error);
    }
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Nothing left to lose: every write already returned.
    }
    this.fd = undefined;
  }

  private ensureRoom(bytes: number, limit: number): void {
    const now = Date.now();
    if (this.dirBytes === undefined || (this.dirBytes + bytes > limit && now - this.dirBytesAt > SIZE_RESCAN_MS)) {
      // Others append and ingest removes: only a fresh look can say the bound is really reached.
      this.dirBytes = logDirBytes(this.dir);
      this.dirBytesAt = now;
    }
    if (this.dirBytes + bytes > limit) throw logFull(this.dir, this.maxBytes);
  }
}

/** Bytes in the directory's segments. */
export function logDirBytes(dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.endsWith(SEGMENT_SUFFIX)) continue;
    try {
      total += fs.statSync(path.join(dir, name)).size;
    } catch {
      // Removed by an ingester meanwhile.
    }
  }
  return total;
}
