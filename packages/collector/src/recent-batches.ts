import { createHash } from 'node:crypto';

/** What became of one request's batch. */
export type BatchOutcome = 'stored' | 'already-stored';

/** Batches remembered by default: a few minutes of a busy sender's retries. */
export const DEFAULT_REMEMBERED_BATCHES = 4096;

/**
 * The digests of the export requests this collector stored, most recent last. An OTLP sender whose
 * answer was lost (a timeout after the rows were stored) sends the same batch again; the writer
 * merges concurrent requests into one insert, so ClickHouse's insert deduplication cannot see that
 * the rows repeat. Identical request bytes hold identical spans (same trace and span IDs), so a
 * request seen before is answered without writing it twice. A batch being written when its copy
 * arrives shares that write's outcome; one whose write failed is forgotten, so a retry writes it.
 */
export class RecentBatches {
  /** Insertion-ordered: the first is the least recently seen. */
  private readonly stored = new Set<string>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(private readonly capacity: number = DEFAULT_REMEMBERED_BATCHES) {}

  static digest(body: Uint8Array): string {
    return createHash('sha256').update(body).digest('hex');
  }

  async store(digest: string, write: () => Promise<void>): Promise<BatchOutcome> {
    if (this.stored.has(digest)) {
      // Refreshed, so a batch that keeps being retried is the last to be forgotten.
      this.stored.delete(digest);
      this.stored.add(digest);
      return 'already-stored';
    }
    const running = this.writing.get(digest);
    if (running) {
      await running;
      return 'already-stored';
    }
    const written = write();
    this.writing.set(digest, written);
    try {
      await written;
      this.remember(digest);
      return 'stored';
    } finally {
      this.writing.delete(digest);
    }
  }

  private remember(digest: string): void {
    this.stored.add(digest);
    if (this.stored.size > this.capacity) this.stored.delete(this.stored.values().next().value!);
  }
}
