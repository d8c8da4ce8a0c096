import fs from 'node:fs';
import path from 'node:path';
import { LogReadError } from './errors.js';
import { withSpaceReserve } from './log-dir.js';

/** The records one insert takes: a contiguous range of each segment it reads. */
export interface IngestRange {
  segment: string;
  from: number;
  to: number;
}

/** An insert announced before it runs, so a run killed mid-insert is redone exactly, and deduplicated. */
export interface PendingIngest {
  /** Stable for these ranges: the insert deduplication token is derived from it. */
  id: string;
  ranges: IngestRange[];
}

interface StateFile {
  version: 1;
  /** Per segment file name: the offset up to which its records are stored. */
  offsets: Record<string, number>;
  pending?: PendingIngest;
}

export const INGEST_STATE_FILE = 'ingest-state.json';

/**
 * What an ingester has stored of each segment, kept in one small file beside the segments and
 * replaced atomically (write, fsync, rename): after a crash it is either the old state or the new.
 */
export class IngestState {
  private readonly file: string;
  private state: StateFile = { version: 1, offsets: {} };

  constructor(readonly dir: string) {
    this.file = path.join(dir, INGEST_STATE_FILE);
    this.load();
  }

  offset(segment: string): number {
    return this.state.offsets[segment] ?? 0;
  }

  get pending(): PendingIngest | undefined {
    return this.state.pending;
  }

  /** Announces an insert; from here until commit() a crash means "do exactly this again". */
  begin(pending: PendingIngest): void {
    this.state.pending = pending;
    this.save();
  }

  /** The announced insert is stored: its ranges count as done. */
  commit(): void {
    const pending = this.state.pending;
    if (!pending) return;
    for (const range of pending.ranges) this.state.offsets[range.segment] = Math.max(this.offset(range.segment), range.to);
    delete this.state.pending;
    this.save();
  }

  /** Moves a segment's offset on without an insert (records with nothing to store). */
  advance(segment: string, to: number): void {
    if (this.offset(segment) >= to) return;
    this.state.offsets[segment] = to;
    this.save();
  }

  /** The segment was removed: its offset is no longer needed. */
  forget(segments: string[]): void {
    let changed = false;
    for (const segment of segments) {
      if (segment in this.state.offsets) {
        delete this.state.offsets[segment];
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new LogReadError(`could not read the ingest state ${this.file}: ${(error as Error).message}`, error);
    }
    try {
      const parsed = JSON.parse(text) as StateFile;
      if (parsed.version !== 1 || typeof parsed.offsets !== 'object' || parsed.offsets === null) throw new Error('unknown layout');
      this.state = parsed;
    } catch (error) {
      throw new LogReadError(
        `the ingest state ${this.file} is damaged (${(error as Error).message}). Without it, what was already stored cannot be told from what was not: move the file aside to ingest every segment again (spans already stored would be stored twice).`,
        error,
      );
    }
  }

  private save(): void {
    withSpaceReserve(this.dir, () => this.saveNow());
  }

  private saveNow(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      fs.rmSync(temp, { force: true });
      throw error;
    }
    fs.closeSync(fd);
    fs.renameSync(temp, this.file);
  }
}
