import { rmSync, statSync } from 'node:fs';
import type { IngestState } from './ingest-state.js';
import type { SegmentFile } from './log-dir.js';
import { writerKey } from './segment-name.js';

/** Where one pass (an ingest, a shipment) got to in one segment. */
export interface SegmentProgress {
  segment: SegmentFile;
  /** Offset up to which everything is delivered. */
  offset: number;
  /** A final `end` record was passed: its writer adds nothing more to this segment. */
  ended: boolean;
  /**
   * The writer was gone before the segment was read, so the read saw all it will ever write.
   * Judged before the read, never after: a writer that ends between the two would have its last
   * records taken for a torn tail and removed unread.
   */
  writerGone: boolean;
  /** Reading stopped at bytes that are no record (damage), not at the file's end. */
  corruptAt?: { offset: number; reason: string };
}

/** Bytes that can never be delivered: a gone writer's half-written or damaged tail. */
export interface SkippedBytes {
  segment: string;
  pid: number;
  bytes: number;
  reason: string;
}

export interface SettledSegments {
  removed: number;
  skipped: SkippedBytes[];
  /** Writers gone without ending their last segment (killed, crashed): key → pid. */
  unendedWriters: Map<string, number>;
}

/**
 * Removes the segments that are delivered and will not grow: ended by their writer, followed by
 * a later segment of the same writer, or left by a writer that is gone (whose undeliverable tail
 * is reported). Removed segments are forgotten in the state. The one rule every reader of the log
 * follows, whatever it delivers to.
 */
export function settleSegments(progress: readonly SegmentProgress[], state: IngestState): SettledSegments {
  const lastOfWriter = new Map<string, string>();
  for (const entry of progress) lastOfWriter.set(writerKey(entry.segment), entry.segment.file);
  const settled: SettledSegments = { removed: 0, skipped: [], unendedWriters: new Map() };
  const removed: string[] = [];
  for (const entry of progress) {
    const { segment } = entry;
    const size = sizeNow(segment);
    if (size === undefined) continue;
    const delivered = entry.offset >= size;
    const movedOn = lastOfWriter.get(writerKey(segment)) !== segment.file;
    if (!(delivered && (entry.ended || movedOn))) {
      if (!entry.writerGone) continue;
      if (!delivered) {
        const reason = entry.corruptAt
          ? `${entry.corruptAt.reason} at byte ${entry.corruptAt.offset}`
          : `a record cut off at byte ${entry.offset} (the process was killed or crashed while writing)`;
        settled.skipped.push({ segment: segment.file, pid: segment.pid, bytes: size - entry.offset, reason });
      }
      if (!entry.ended && !movedOn) settled.unendedWriters.set(writerKey(segment), segment.pid);
    }
    try {
      rmSync(segment.path, { force: true });
      removed.push(segment.file);
    } catch {
      // Stays for the next pass; its offset says it is delivered.
    }
  }
  state.forget(removed);
  settled.removed = removed.length;
  return settled;
}

/** The segment's size now, not when it was listed: what was appended since is not delivered. */
function sizeNow(segment: SegmentFile): number | undefined {
  try {
    return statSync(segment.path).size;
  } catch {
    // Removed by another reader meanwhile.
    return undefined;
  }
}
