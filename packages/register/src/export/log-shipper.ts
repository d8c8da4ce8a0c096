import { StoreUnavailableError } from '@tracetape/core';
import type { SkippedBytes } from '@tracetape/log';
import { OtlpUnreachableError } from './otlp-errors.js';

/** What one pass over the log did. */
export interface ShipReport {
  /** Spans the destination acknowledged. */
  shipped: number;
  /** Spans the destination refused for good (they would be refused again): lost, with why. */
  refused: { spans: number; reason: string }[];
  /** Finished segments removed, everything in them delivered. */
  removedSegments: number;
  skipped: SkippedBytes[];
  /** Another process is shipping this log: nothing was done. */
  busyPid?: number;
}

/**
 * Moves the recording log to one destination, in order and exactly once, under the log's ingest
 * lock and state (so any shipper or ingester of the directory carries on where another stopped).
 * A pass throws when the destination cannot take what is next; what it did not deliver stays.
 */
export interface LogShipper {
  /** Said in messages: "ClickHouse at http://…", "the collector at http://…/v1/traces". */
  readonly destination: string;
  readonly logDir: string;
  ship(): Promise<ShipReport>;
  /** Optional: what can be done at exit without the destination (passing over records it does not take, removing finished segments). */
  settleSync?(): ShipReport;
  /** Whether anything in the log is for this destination at all (an `end` record is for a store, not for OTLP). */
  hasWork(): boolean;
  close(): Promise<void>;
}

export function emptyReport(): ShipReport {
  return { shipped: 0, refused: [], removedSegments: 0, skipped: [] };
}

/** "Not there now": worth trying again later. Anything else is a refusal that says what to fix. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof StoreUnavailableError || error instanceof OtlpUnreachableError;
}
