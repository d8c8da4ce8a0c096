import type { InventoryCall, StoredReplay, Tape } from '@tracetape/core';
import type { ReplaySummary, RunListItem, RunListResponse } from './api.js';

/** The runs list's filters, parsed from the page's query (see RunListResponse in api.ts). */
export interface RunFilter {
  service?: string;
  name?: string;
  status?: 'ok' | 'error' | 'diverged';
  since?: Date;
  until?: Date;
  attributes: Array<{ key: string; value: string }>;
  limit: number;
}

/** A run and its tape, the material of every view of it. */
export interface LoadedRun {
  run: RunListItem;
  tape: Tape;
}

/** A replay that `tracetape replay` stored. */
export interface LoadedReplay {
  traceId: string;
  /** ISO-8601. */
  start: string;
  stored: StoredReplay;
}

/**
 * Where the viewer reads runs from: the store (embedded or a server), or one tape file. The server
 * turns what a source gives into the page's JSON; a source knows nothing of HTTP.
 */
export interface RunSource {
  /** For the banner and the startup line: "embedded ClickHouse at …", "tape file …". */
  readonly description: string;
  listRuns(filter: RunFilter): Promise<RunListResponse>;
  /** Throws UnknownTraceError (or InvalidTraceIdError) when the store holds no such run. */
  loadRun(traceId: string): Promise<LoadedRun>;
  /** Newest first. */
  replaysOf(traceId: string): Promise<ReplaySummary[]>;
  /** Throws UnknownTraceError when no replay is stored under this ID. */
  loadReplay(replayTraceId: string): Promise<LoadedReplay>;
  /**
   * The boundary calls of every service in a period (`since` inclusive, `until` exclusive), as
   * the store groups them for the inventory. Throws a UiRequestError when the source cannot say.
   */
  inventoryCalls(period: { since: Date; until: Date }): Promise<InventoryCall[]>;
}
