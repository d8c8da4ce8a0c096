import { rmSync, statSync } from 'node:fs';
import { writerKey, type IngestState, type SegmentFile } from '@tracetape/log';
import type { SkippedTail } from './log-shipper.js';

/** Where a pass got to in one segment. */
export interface SegmentProgress {
  segment: SegmentFile;
  /** Offset up to which everything is delivered. */
  offset: number;
  /** A final `end` record was delivered past: its writer adds nothing more. */
  ended: boolean;
  /**
   * Judged before the segment was read: a writer that ends between the read and a later look
   * would have its last records taken for a torn tail and removed unread.
   */
  writerAlive: boolean;
  /** Set when reading stopped at bytes that are no record (damage), not at the file's end. */
  corruptAt?: { offset: number; reason: string };
}

/**
 * Removes the segments that are delivered and will not grow, by the rule LogIngester follows:
 * ended by their writer, followed by a later segment of the same writer, or left by a writer that
 * is gone (whose unreadable tail is reported, since it can never be delivered). Returns what was
 * skipped; removed segments are forgotten in the state.
 */
export function removeFinishedSegments(progress: SegmentProgress[], state: IngestState): { removed: number; skipped: SkippedTail[] } {
  const lastOfWriter = new Map<string, string>();
  for (const entry of progress) lastOfWriter.set(writerKey(entry.segment), entry.segment.file);
  const skipped: SkippedTail[] = [];
  const removed: string[] = [];
  for (const entry of progress) {
    const { segment } = entry;
    const size = sizeNow(segment);
    if (size === undefined) continue;
    const delivered = entry.offset >= size;
    const movedOn = lastOfWriter.get(writerKey(segment)) !== segment.file;
    if (!(delivered && (entry.ended || movedOn))) {
      if (entry.writerAlive) continue;
      if (!delivered) {
        const reason = entry.corruptAt
          ? `${entry.corruptAt.reason} at byte ${entry.corruptAt.offset}`
          : `a record cut off at byte ${entry.offset} (the process was killed or crashed while writing)`;
        skipped.push({ segment: segment.file, pid: segment.pid, bytes: size - entry.offset, reason });
      }
    }
    try {
      rmSync(segment.path, { force: true });
      removed.push(segment.file);
    } catch {
      // Stays for the next pass; its offset says it is delivered.
    }
  }
  state.forget(removed);
  return { removed: removed.length, skipped };
}

/** The segment's size now, not when it was listed: what was appended since is not delivered. */
function sizeNow(segment: SegmentFile): number | undefined {
  try {
    return statSync(segment.path).size;
  } catch {
    // Removed by another shipper meanwhile.
    return undefined;
  }
}
