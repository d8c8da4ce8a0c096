import { RejectedRequestError } from './errors.js';

/**
 * Default bound on the body bytes all requests in progress hold together. The per-request limit
 * (64 MiB) alone let 32 concurrent gzip bombs take 2.4 GB; 256 MiB keeps a collector beside its
 * embedded engine within about a gigabyte while still taking four full-size batches at once.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024;
/** OTLP senders retry a 429 after this many seconds (the spec lets the server say). */
const RETRY_AFTER_SECONDS = 1;

/** Over the budget: the request is refused with 429, which every OTLP exporter retries. */
export class CollectorBusyError extends RejectedRequestError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(budgetBytes: number) {
    super(
      'TRACETAPE_OTLP_BUSY',
      429,
      `The collector holds ${budgetBytes} bytes of request bodies in progress, its limit: retry after ${RETRY_AFTER_SECONDS} s ` +
        '(OTLP exporters do so by themselves), or raise the limit with --max-inflight-bytes (TRACETAPE_COLLECTOR_MAX_INFLIGHT_BYTES).',
    );
  }
}

/**
 * The body bytes held by all requests in progress together: as received, inflated, and the
 * copies made when joining chunks. Each request takes a {@link BodyLease} and adds to it as bytes
 * arrive, so memory is bounded by the budget whatever the number of senders or their gzip ratio.
 */
export class InflightBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get usedBytes(): number {
    return this.used;
  }

  lease(): BodyLease {
    return new BodyLease(this);
  }

  /** @internal A lease alone in the budget always gets its bytes (the per-request limit bounds it), so one big batch can never be refused forever. */
  reserve(lease: BodyLease, bytes: number): boolean {
    const alone = this.used === lease.heldBytes;
    if (!alone && this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  /** @internal */
  giveBack(bytes: number): void {
    this.used -= bytes;
  }
}

/** One request's share of the budget; released whole when the request is answered. */
export class BodyLease {
  private held = 0;

  constructor(private readonly budget: InflightBudget) {}

  get heldBytes(): number {
    return this.held;
  }

  /** @throws CollectorBusyError when the budget has no room for `bytes` more */
  add(bytes: number): void {
    if (!this.budget.reserve(this, bytes)) throw new CollectorBusyError(this.budget.capacity);
    this.held += bytes;
  }

  /** Bytes this request no longer holds (chunks joined into one buffer and dropped). */
  remove(bytes: number): void {
    const freed = Math.min(bytes, this.held);
    this.held -= freed;
    this.budget.giveBack(freed);
  }

  release(): void {
    this.remove(this.held);
  }
}
