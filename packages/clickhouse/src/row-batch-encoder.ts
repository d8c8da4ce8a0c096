import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads } from './payload-offload.js';
import { RowBinaryWriter, writePayloadRow, writeSpanRow } from './row-binary.js';
import { hrTimeToNanos, toSpanRow, type SpanRowSource } from './span-rows.js';
import { payloadRowKey, WrittenPayloads } from './written-payloads.js';

/** A batch of spans as the store inserts them: one RowBinary block per table. */
export interface RowBatch {
  spanRows: number;
  spans: Buffer;
  payloadRows: number;
  payloads: Buffer;
}

/**
 * Spans into the rows the store inserts, already encoded, ahead of the store: what the recording
 * log keeps for the embedded store, so ingest only concatenates. Payload rows this encoder already
 * handed out (a conversation's history, resent on every call) are handed out once a day and trace, counted
 * from when the caller says a batch was kept (kept()); forgetting one only costs a rewrite.
 */
export class RowBatchEncoder {
  private readonly handedOut = new WrittenPayloads();
  /**
   * Keys of the payload rows in the batch being built (each goes in once), or in the batch taken
   * last until kept() says. Keys, not rows: a row's text is in the encoded block already, and held
   * here until the batch is written (up to a second) it outlived the young generation, so the GC
   * copied every payload of the app once more.
   */
  private pendingKeys = new Set<string>();
  private spanCount = 0;
  /** The batch was handed out by take(): the next add() starts a new one. */
  private taken = true;
  // Kept from batch to batch: a recording app encodes every second, and fresh buffers of megabytes
  // cost a page fault per page each time.
  private readonly spanRows = new RowBinaryWriter(256 * 1024);
  private readonly payloadRows = new RowBinaryWriter(1024 * 1024);

  constructor(private readonly payloadThresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES) {}

  /**
   * Encodes spans into the batch being built. Cheap to call with a few spans at a time, so a
   * recording app can spread the encoding over idle moments instead of pausing for a whole batch.
   */
  add(spans: readonly SpanRowSource[]): void {
    if (this.taken) this.startBatch();
    for (const span of spans) {
      const row = toSpanRow(span);
      // The row's Timestamp and its payload rows' are this instant printed; encoded, it is a number again.
      const start = hrTimeToNanos(span.startTime);
      const payloads = offloadPayloads(row, { thresholdBytes: this.payloadThresholdBytes });
      writeSpanRow(this.spanRows, row, start);
      for (const payload of this.handedOut.unwritten(payloads)) {
        const key = payloadRowKey(payload);
        if (this.pendingKeys.has(key)) continue;
        this.pendingKeys.add(key);
        writePayloadRow(this.payloadRows, payload, start);
      }
    }
    this.spanCount += spans.length;
  }

  /** The batch built since the last take(); its blocks are views into this encoder's buffers, valid until the next add(). */
  take(): RowBatch {
    if (this.taken) this.startBatch();
    this.taken = true;
    return { spanRows: this.spanCount, spans: this.spanRows.view(), payloadRows: this.pendingKeys.size, payloads: this.payloadRows.view() };
  }

  /** The whole batch at once: add() then take(). */
  encode(spans: readonly SpanRowSource[]): RowBatch {
    this.add(spans);
    return this.take();
  }

  /** The batch take() returned last was kept: its payload rows need not be handed out again. */
  kept(): void {
    this.handedOut.markWrittenKeys(this.pendingKeys);
    this.pendingKeys = new Set();
  }

  private startBatch(): void {
    this.spanRows.reset();
    this.payloadRows.reset();
    // A batch taken but never kept was lost: its payload rows are handed out again when needed.
    this.pendingKeys = new Set();
    this.spanCount = 0;
    this.taken = false;
  }
}
