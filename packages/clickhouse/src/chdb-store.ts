import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256Hex, StoreUnavailableError } from '@tracetape/core';
import type { ChdbResult, Session } from 'chdb';
import { embeddedStoreConflict, embeddedStoreLocked, StoreQueryError, UserQueryError } from './errors.js';
import type { SchemaOptions } from './schema.js';
import type { EncodedRows, PayloadRow, RunRow, SpanRow, UserQueryOptions } from './store.js';
import { closeSessionAtExit } from './chdb-exit.js';
import { InsertFiles } from './insert-files.js';
import { requireFromPackage } from './own-dependencies.js';
import { PreparedRows } from './prepared-rows.js';
import {
  decodeStringPairs,
  encodePayloadRow,
  encodeSpanRow,
  PAYLOAD_ROW_BINARY_COLUMNS,
  PAYLOAD_ROW_BINARY_STRUCTURE,
  SPAN_ROW_BINARY_COLUMNS,
  SPAN_ROW_BINARY_STRUCTURE,
} from './row-binary.js';
import { insertSettingsSql, parseJsonEachRow, SqlSpanStore, type InsertBatch, type InsertSettings, type QueryParams, type RunBatch } from './sql-store.js';

export const DEFAULT_STORE_DIR = '.tracetape';

export interface ChdbStoreOptions extends SchemaOptions {
  /** Data directory, created if absent (default `.tracetape/` under the working directory). */
  dir?: string;
}

type ChdbModule = typeof import('chdb');

// chDB is a ~550 MB native library: load it on first use only, so processes that never store
// (a replay, a CLI listing a server) do not pay for it. `require` rather than `import()` because
// insertSync may be the first use, inside an 'exit' handler where nothing asynchronous runs.
let chdbModule: ChdbModule | undefined;
function loadChdb(): ChdbModule {
  chdbModule ??= requireFromPackage()('chdb') as ChdbModule;
  return chdbModule;
}

function quoteString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function structureOf(kind: 'spans' | 'payloads'): string {
  return kind === 'spans' ? SPAN_ROW_BINARY_STRUCTURE : PAYLOAD_ROW_BINARY_STRUCTURE;
}

/** JSON.stringify escapes newlines, so each row stays on one line as JSONEachRow needs. */
function jsonInsert(batch: RunBatch): string {
  return `INSERT INTO ${batch.table} SETTINGS ${insertSettingsSql(batch.settings)} FORMAT JSONEachRow\n${batch.rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
}

/** Reads the file by the encoder's structure and names the target columns, so a table's own column order does not matter. */
function rowBinaryInsert(table: string, columns: readonly string[], structure: string, file: string, settings: InsertSettings): string {
  const names = columns.map((name) => `\`${name}\``).join(', ');
  return (
    `INSERT INTO ${table} (${names}) SETTINGS ${insertSettingsSql(settings)} ` +
    `SELECT ${names} FROM file(${quoteString(file)}, 'RowBinary', ${quoteString(structure)})`
  );
}

/** The span store embedded in this process: ClickHouse as a library, over a local directory. */
export class ChdbSpanStore extends SqlSpanStore {
  readonly location: string;
  readonly dir: string;
  /**
   * One thread for a read of a few granules: the engine shares the app's cores, and starting a
   * second thread cost more than it saved (a tape build among 1M spans, BENCHMARKS.md issue 19).
   * Formatting the output on one thread too: the parallel formatter starts four threads and
   * allocates ~13 MB per query, which cost a tape build's three reads ~2 ms; only a read of
   * thousands of rows gains from it, so the session keeps it for everything else.
   */
  protected override readonly smallReadSettings = ' SETTINGS max_threads = 1, output_format_parallel_formatting = 0';
  private session: Session | undefined;
  private closed = false;
  // Span and payload rows go in as RowBinary through a file, which the engine parses several times
  // faster than JSONEachRow (BENCHMARKS.md, insert formats); run rows, few and small, as JSON.
  private readonly spanBytes = new PreparedRows<SpanRow, Buffer>(encodeSpanRow);
  private readonly payloadBytes = new PreparedRows<PayloadRow, Buffer>(encodePayloadRow);
  private readonly insertFiles: InsertFiles;
  /** Inserts under way, and the index of the batch after the one the engine is running. */
  private readonly running = new Set<{ batches: InsertBatch[]; next: number }>();
  /** Asynchronous calls into the engine whose promises have not settled yet. */
  private unsettled = 0;

  constructor(options: ChdbStoreOptions = {}) {
    super({ ...options, embedded: true });
    this.dir = resolve(options.dir ?? DEFAULT_STORE_DIR);
    this.location = `embedded ClickHouse at ${this.dir}`;
    this.insertFiles = new InsertFiles(this.dir, this.location);
  }

  private open(): Session {
    if (this.session) return this.session;
    if (this.closed) {
      throw new StoreUnavailableError(this.location, new Error('the store was closed; open a new one with openStore()'));
    }
    const { Session } = loadChdb();
    try {
      mkdirSync(this.dir, { recursive: true });
      this.session = openSessionWhenFree(() => new Session(this.dir, { connectionArgs: ['--session_timezone=UTC'] }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/one active data directory per process/i.test(message)) throw embeddedStoreConflict(this.location, this.dir, error);
      if (error instanceof Error && 'code' in error && error.code === 'CHDB_CONNECTION') {
        throw embeddedStoreLocked(this.location, this.dir, error);
      }
      throw new StoreUnavailableError(this.location, error);
    }
    return this.session;
  }

  private async run(sql: string, params: QueryParams | undefined, format: string): Promise<string> {
    return (await this.runResult(sql, params, format)).text();
  }

  private async runResult(sql: string, params: QueryParams | undefined, format: string): Promise<ChdbResult> {
    const session = this.open();
    this.unsettled++;
    try {
      return params ? await session.queryBindAsync(sql, params, { format }) : await session.queryAsync(sql, { format });
    } catch (error) {
      throw new StoreQueryError(this.location, error);
    } finally {
      this.unsettled--;
    }
  }

  protected async execute(sql: string): Promise<void> {
    await this.run(sql, undefined, 'TabSeparated');
  }

  protected async select<T>(sql: string, params: QueryParams): Promise<T[]> {
    return parseJsonEachRow<T>(await this.run(sql, params, 'JSONEachRow'));
  }

  /**
   * As RowBinary: payload text comes back length-prefixed, neither JSON-escaped by the engine nor
   * parsed back here, which made the payloads of a tape build twice as fast (BENCHMARKS.md, issue 19).
   */
  protected override async selectStringPairs(sql: string, params: QueryParams): Promise<[string, string][]> {
    return decodeStringPairs((await this.runResult(sql, params, 'RowBinary')).bytes());
  }

  prepareRows(spans: readonly SpanRow[], payloads: readonly PayloadRow[]): void {
    this.spanBytes.prepare(spans);
    this.payloadBytes.prepare(payloads);
  }

  /**
   * The recording log's rows go in as they were written, one RowBinary file per table: no row is
   * parsed or rebuilt on the way. Tokens derive from `token` per table.
   */
  async insertEncoded(rows: EncodedRows, runs: RunRow[], token: string): Promise<void> {
    const settings = (table: string): InsertSettings => ({ insert_deduplication_token: sha256Hex(`${table}\n${token}`) });
    if (rows.payloadRows > 0) await this.insertFile(this.names.payloads, PAYLOAD_ROW_BINARY_COLUMNS, PAYLOAD_ROW_BINARY_STRUCTURE, rows.payloads, settings('payloads'));
    if (rows.spanRows > 0) await this.insertFile(this.names.traces, await this.spanColumns(), SPAN_ROW_BINARY_STRUCTURE, rows.spans, settings('spans'));
    if (runs.length > 0) await this.insert([], [], runs);
  }

  /** The encoded span columns the span table has: one an older tracetape made may lack a newer one. */
  private async spanColumns(): Promise<readonly string[]> {
    const layout = await this.traceTableLayout();
    return layout.tracesExists ? SPAN_ROW_BINARY_COLUMNS.filter((name) => layout.tracesColumns.has(name)) : SPAN_ROW_BINARY_COLUMNS;
  }

  private async insertFile(table: string, columns: readonly string[], structure: string, blocks: readonly Uint8Array[], settings: InsertSettings): Promise<void> {
    const file = await this.insertFiles.write(blocks);
    try {
      await this.run(rowBinaryInsert(table, columns, structure, file, settings), undefined, 'TabSeparated');
    } finally {
      await this.insertFiles.remove(file);
    }
  }

  protected async insertBatches(batches: InsertBatch[]): Promise<void> {
    const insert = { batches, next: 0 };
    this.running.add(insert);
    try {
      while (insert.next < batches.length) await this.insertBatch(batches[insert.next++]!);
    } finally {
      this.running.delete(insert);
    }
  }

  private async insertBatch(batch: InsertBatch): Promise<void> {
    if (batch.kind === 'runs') {
      await this.run(jsonInsert(batch), undefined, 'TabSeparated');
      return;
    }
    const columns = batch.kind === 'spans' ? await this.spanColumns() : PAYLOAD_ROW_BINARY_COLUMNS;
    await this.insertFile(batch.table, columns, structureOf(batch.kind), this.encoded(batch), batch.settings);
  }

  /**
   * The batch the engine is running is sent again, then the ones after it. chDB runs one query of
   * a session at a time, so the first waits for the running one to finish, and its insert token
   * makes ClickHouse drop it as a copy; if the process had ended first, it would have been lost.
   */
  finishInsertsSync(): void {
    const inserts = [...this.running];
    this.running.clear();
    for (const insert of inserts) {
      const rest = insert.batches.slice(Math.max(0, insert.next - 1));
      // The asynchronous loop, should it ever resume, finds nothing left to do.
      insert.next = insert.batches.length;
      this.insertBatchesSync(rest, []);
    }
    // The engine has finished the insert that was reading one; its own removal will not run now.
    this.insertFiles.removeAllSync();
  }

  protected insertBatchesSync(batches: InsertBatch[], schema: string[]): void {
    const session = this.open();
    const runSync = (sql: string): void => {
      try {
        session.query(sql, 'TabSeparated');
      } catch (error) {
        throw new StoreQueryError(this.location, error);
      }
    };
    for (const statement of schema) runSync(statement);
    for (const batch of batches) {
      if (batch.kind === 'runs') {
        runSync(jsonInsert(batch));
        continue;
      }
      // No layout lookup here (nothing asynchronous runs at exit): the store's own span table has every column.
      const columns = batch.kind === 'spans' ? SPAN_ROW_BINARY_COLUMNS : PAYLOAD_ROW_BINARY_COLUMNS;
      const file = this.insertFiles.writeSync(this.encoded(batch));
      try {
        runSync(rowBinaryInsert(batch.table, columns, structureOf(batch.kind), file, batch.settings));
      } finally {
        this.insertFiles.removeSync(file);
      }
    }
  }

  private encoded(batch: Exclude<InsertBatch, RunBatch>): Buffer[] {
    return batch.kind === 'spans' ? batch.rows.map((row) => this.spanBytes.get(row)) : batch.rows.map((row) => this.payloadBytes.get(row));
  }

  async query(sql: string, format: string, options: UserQueryOptions = {}): Promise<string> {
    try {
      // A session setting, not a SETTINGS clause spliced into the user's SQL (which may end in its
      // own SETTINGS or FORMAT). readonly=2 rather than 1: the user's own SETTINGS clauses still
      // work, while writes, DDL and lowering `readonly` itself are refused. It lasts as long as this
      // store object, which a reading command closes right after.
      if (options.readOnly) await this.run('SET readonly = 2', undefined, 'TabSeparated');
      return await this.run(sql, undefined, format);
    } catch (error) {
      throw error instanceof StoreQueryError ? new UserQueryError(this.location, error.cause) : error;
    }
  }

  closeSync(): void {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    // A call still unsettled here never will be (this runs at exit): see closeSessionAtExit.
    try {
      if (this.unsettled > 0 && closeSessionAtExit(session)) return;
    } catch (error) {
      throw new StoreQueryError(this.location, error);
    }
    session.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    session.close();
    // close() defers the release behind running queries; wait so the directory is free on return.
    await loadChdb().drainPending();
  }
}

/** How long a store's open waits for a process that has just let the directory go to finish doing so. */
const RELEASE_GRACE_MS = 3_000;
const RELEASE_POLL_MS = 100;

/**
 * Opens the session (stored timestamps carry no zone, so it is pinned to UTC by its caller),
 * retrying briefly while the engine's own directory lock is taken. A command that waited for the
 * reader lock (store-access.ts) gets it as soon as the previous command closed its store, and that
 * process may hold the engine's status-file lock for a moment more: seen with five replays of one
 * store at once. Anything else, and a lock still held after the grace, is thrown as it came.
 */
function openSessionWhenFree(open: () => Session): Session {
  const deadline = Date.now() + RELEASE_GRACE_MS;
  for (;;) {
    try {
      return open();
    } catch (error) {
      const locked = error instanceof Error && 'code' in error && error.code === 'CHDB_CONNECTION';
      if (!locked || Date.now() >= deadline) throw error;
      // Synchronous on purpose: open() is synchronous, and this wait happens only on a lock conflict.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RELEASE_POLL_MS);
    }
  }
}
