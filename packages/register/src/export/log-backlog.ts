import { countSpans, IngestState, listSegments, readSegment, RecordType } from '@tracetape/log';

/** A segment's spans records read so far: where each starts and how many spans it holds. */
interface CountedSegment {
  /** Offset up to which the segment was read. */
  readTo: number;
  records: { offset: number; spans: number }[];
}

/** Bound on what one look reads of a segment: counting needs the records, not all at once. */
const READ_BYTES = 8 * 1024 * 1024;

/**
 * How many spans the log holds that no one has shipped yet: the spans records past each
 * segment's offset in the ingest state (which every shipper and ingester of the directory
 * shares). Each record is read once and remembered as a count, so looking again costs only the
 * bytes appended since.
 */
export class LogBacklog {
  private readonly segments = new Map<string, CountedSegment>();
  /** Per segment: up to where spans were already counted as held through an outage. */
  private readonly heldMarks = new Map<string, number>();
  private lastPending = 0;

  constructor(readonly dir: string) {}

  /** Spans waiting in the log now. Never throws: a log it cannot read counts as it did last time. */
  pending(): number {
    try {
      let total = 0;
      this.walk((_file, offset, counted) => {
        for (const record of counted.records) if (record.offset >= offset) total += record.spans;
      });
      this.lastPending = total;
    } catch {
      // A damaged state file is said by the shipper itself; the metric keeps its last value.
    }
    return this.lastPending;
  }

  /**
   * The spans waiting now that were not counted by an earlier call: what a failed delivery just
   * left in the log (the `spooled` counter), each span counted once however many tries it takes.
   */
  newlyHeld(): number {
    let total = 0;
    try {
      this.walk((file, offset, counted) => {
        const mark = Math.max(offset, this.heldMarks.get(file) ?? 0);
        for (const record of counted.records) if (record.offset >= mark) total += record.spans;
        this.heldMarks.set(file, counted.readTo);
      });
    } catch {
      // As in pending().
    }
    return total;
  }

  private walk(visit: (file: string, offset: number, counted: CountedSegment) => void): void {
    const state = new IngestState(this.dir);
    const present = new Set<string>();
    for (const segment of listSegments(this.dir)) {
      present.add(segment.file);
      const offset = state.offset(segment.file);
      const counted = this.segments.get(segment.file) ?? { readTo: offset, records: [] };
      counted.readTo = Math.max(counted.readTo, offset);
      // What was shipped is not needed any more.
      counted.records = counted.records.filter((record) => record.offset >= offset);
      this.read(segment.path, counted, segment.size);
      this.segments.set(segment.file, counted);
      visit(segment.file, offset, counted);
    }
    for (const file of this.segments.keys()) if (!present.has(file)) this.segments.delete(file);
    for (const file of this.heldMarks.keys()) if (!present.has(file)) this.heldMarks.delete(file);
  }

  private read(path: string, counted: CountedSegment, size: number): void {
    while (counted.readTo < size) {
      let read;
      try {
        read = readSegment(path, counted.readTo, READ_BYTES);
      } catch {
        // Removed meanwhile: nothing of it waits any more.
        return;
      }
      for (const record of read.records) {
        if (record.type !== RecordType.Control) counted.records.push({ offset: record.offset, spans: countSpans(record) });
      }
      // A record still being written, or a torn tail: counted once it is whole.
      if (read.records.length === 0) return;
      counted.readTo = read.next;
    }
  }
}
