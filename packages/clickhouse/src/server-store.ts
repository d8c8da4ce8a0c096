import type { ClickHouseClient, ClickHouseClientConfigOptions, DataFormat } from '@clickhouse/client';
import { INTERNAL_REQUEST_HEADER, StoreUnavailableError } from '@tracetape/core';
import { StoreQueryError, UserQueryError } from './errors.js';
import { ownDistFile, requireFromPackage } from './own-dependencies.js';
import type { SchemaOptions } from './schema.js';
import type { UserQueryOptions } from './store.js';
import { SqlSpanStore, type InsertBatch, type QueryParams } from './sql-store.js';
import { runSyncWorker } from './sync-worker.js';
import type { SyncInsertJob } from './sync-insert-worker.js';

type ClientModule = typeof import('@clickhouse/client');

// The HTTP client is loaded when a server store is made, not with this package: every command
// and the embedded store import the package, and the client (~90 ms to load here) stood between
// `tracetape replay` and the start of the app it replays. `require`, as for chDB: a store may be
// made where nothing asynchronous runs.
let clientModule: ClientModule | undefined;
function loadClient(): ClientModule {
  clientModule ??= requireFromPackage()('@clickhouse/client') as ClientModule;
  return clientModule;
}

export interface ServerStoreOptions extends Omit<SchemaOptions, 'database'> {
  /** HTTP(S) endpoint, e.g. http://localhost:8123. */
  url: string;
  username?: string;
  password?: string;
  /** Database holding the tables (default `default`). */
  database?: string;
  /** How long insertSync may block process exit (default 5000 ms). */
  syncInsertTimeoutMs?: number;
}

const DEFAULT_SYNC_INSERT_TIMEOUT_MS = 5000;

// Errors that mean "the server is not there" rather than "the server said no".
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

function isUnreachable(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  return UNREACHABLE.has(code) || (error instanceof Error && /socket hang up|timeout/i.test(error.message));
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The span store on a ClickHouse server, over HTTP with @clickhouse/client. */
export class ServerSpanStore extends SqlSpanStore {
  readonly location: string;
  /** Without a default database: tracetape's SQL names its tables in full, and the configured
   *  database may not exist before init() creates it (the server refuses such a request outright). */
  private readonly clientOptions: ClickHouseClientConfigOptions;
  private readonly client: ClickHouseClient;
  /** For raw query(): users' SQL resolves unqualified names in the configured database. */
  private readonly database: string | undefined;
  private queryClient: ClickHouseClient | undefined;
  private readonly syncInsertTimeoutMs: number;

  constructor(options: ServerStoreOptions) {
    super(options);
    this.location = `ClickHouse at ${redactUrl(options.url)}`;
    this.syncInsertTimeoutMs = options.syncInsertTimeoutMs ?? DEFAULT_SYNC_INSERT_TIMEOUT_MS;
    this.clientOptions = {
      url: options.url,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      // Marks our own traffic, so the app's HTTP capture neither records nor blocks it.
      http_headers: { [INTERNAL_REQUEST_HEADER]: '1' },
      // Stored timestamps carry no zone: read and parse them as UTC whatever the server's zone.
      clickhouse_settings: { session_timezone: 'UTC' },
      // Failures reach the app once, as our own errors (the exporter prints one line per kind);
      // the client's multi-line logs would repeat them on every failed batch.
      log: { level: loadClient().ClickHouseLogLevel.OFF },
    };
    this.client = loadClient().createClient(this.clientOptions);
    this.database = options.database;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw isUnreachable(error) ? new StoreUnavailableError(this.location, error) : new StoreQueryError(this.location, error);
    }
  }

  protected async execute(sql: string): Promise<void> {
    await this.call(() => this.client.command({ query: sql }));
  }

  protected async select<T>(sql: string, params: QueryParams): Promise<T[]> {
    return this.call(async () => {
      const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return result.json<T>();
    });
  }

  protected async insertBatches(batches: InsertBatch[]): Promise<void> {
    for (const batch of batches) {
      await this.call(() =>
        this.client.insert({ table: batch.table, values: [...batch.rows], format: 'JSONEachRow', clickhouse_settings: { ...batch.settings } }),
      );
    }
  }

  protected insertBatchesSync(batches: InsertBatch[], schema: string[]): void {
    const job: SyncInsertJob = {
      client: this.clientOptions,
      schema,
      batches: batches.map((b) => ({ table: b.table, rows: [...b.rows], settings: { ...b.settings } })),
    };
    const failure = runSyncWorker(ownDistFile('sync-insert-worker.js'), job, this.syncInsertTimeoutMs, 'insert');
    if (failure) {
      throw new StoreUnavailableError(this.location, new Error(failure));
    }
  }

  async query(sql: string, format: string, options: UserQueryOptions = {}): Promise<string> {
    if (!/^[A-Za-z0-9]+$/.test(format)) {
      throw new UserQueryError(this.location, new Error(`"${format}" is not a ClickHouse format name`));
    }
    try {
      return await this.call(async () => {
        // exec sends the SQL untouched (query() would append a FORMAT clause and break DDL or INSERT).
        this.queryClient ??= this.database ? loadClient().createClient({ ...this.clientOptions, database: this.database }) : this.client;
        // readonly=2, as the embedded store does: the user's SETTINGS clauses still work, writes do not.
        const settings = { default_format: format as DataFormat, ...(options.readOnly ? { readonly: '2' as const } : {}) };
        const result = await this.queryClient.exec({ query: sql, clickhouse_settings: settings });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
        return Buffer.concat(chunks).toString('utf8');
      });
    } catch (error) {
      throw error instanceof StoreQueryError ? new UserQueryError(this.location, error.cause) : error;
    }
  }

  /** HTTP sockets hold nothing a process exit would corrupt. */
  closeSync(): void {}

  async close(): Promise<void> {
    if (this.queryClient && this.queryClient !== this.client) await this.queryClient.close();
    await this.client.close();
  }
}
