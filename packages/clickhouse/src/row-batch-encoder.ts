import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, offloadPayloads } from './payload-offload.js';
import { RowBinaryWriter, writePayloadRow, writeSpanRow } from './row-binary.js';
import { toSpanRow, type SpanRowSource } from './span-rows.js';
import type { PayloadRow } from './store.js';
import { WrittenPayloads } from './written-payloads.js';

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
 * handed out (a conversation's history, resent on every call) are handed out once a day, counted
 * from when the caller says a batch was kept (kept()); forgetting one only costs a rewrite.
 */
export class RowBatchEncoder {
  private readonly handedOut = new WrittenPayloads();
  private pending: PayloadRow[] = [];
  // Kept from batch to batch: a recording app encodes every second, and fresh buffers of megabytes
  // cost a page fault per page each time.
  private readonly spanRows = new RowBinaryWriter(256 * 1024);
  private readonly payloadRows = new RowBinaryWriter(1024 * 1024);

  constructor(private readonly payloadThresholdBytes = DEFAULT_PAYLOAD_THRESHOLD_BYTES) {}

  /** The batch's blocks are views into this encoder's buffers: valid until the next encode(). */
  encode(spans: readonly SpanRowSource[]): RowBatch {
    this.spanRows.reset();
    this.payloadRows.reset();
    const payloads: PayloadRow[] = [];
    for (const span of spans) {
      const row = toSpanRow(span);
      for (const payload of offloadPayloads(row, { thresholdBytes: this.payloadThresholdBytes })) payloads.push(payload);
      writeSpanRow(this.spanRows, row);
    }
    const fresh = this.handedOut.unwritten(payloads);
    for (const payload of fresh) writePayloadRow(this.payloadRows, payload);
    this.pending = fresh;
    return { spanRows: spans.length, spans: this.spanRows.view(), payloadRows: fresh.length, payloads: this.payloadRows.view() };
  }

  /** The batch encode() returned last was kept: its payload rows need not be handed out again. */
  kept(): void {
    this.handedOut.markWritten(this.pending);
    this.pending = [];
  }
}
