/** The smallest buffer worth keeping: one read chunk of the ingester. */
const MIN_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * Buffers the ingester reads the log into, reused from one insert to the next. A fresh buffer
 * costs a page fault per page on first touch, which on this kind of machine took longer than the
 * read itself (80 MB: 115–290 ms into new buffers, 7–43 ms into reused ones; BENCHMARKS.md).
 * Records point into these buffers, so they are handed back only once their insert is done.
 */
export class ReadBuffers {
  private free: Buffer[] = [];
  private inUse: Buffer[] = [];

  /** A buffer of at least `bytes`, not handed out again until release(). */
  readonly take = (bytes: number): Buffer => {
    const index = this.free.findIndex((buffer) => buffer.length >= bytes);
    const buffer = index >= 0 ? this.free.splice(index, 1)[0]! : Buffer.allocUnsafeSlow(Math.max(bytes, MIN_BUFFER_BYTES));
    this.inUse.push(buffer);
    return buffer;
  };

  /** Everything handed out is free again: the records read into it are no longer needed. */
  release(): void {
    this.free.push(...this.inUse);
    this.inUse = [];
  }
}
