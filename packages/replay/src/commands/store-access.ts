import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_STORE_DIR, openStore, storeOptionsFromEnv, type SpanStore, type StoreOptions } from '@tracetape/clickhouse';
import { LogIngester, type IngestReport } from '@tracetape/collector/ingest';
import { ConfigError, StoreUnavailableError } from '@tracetape/core';
import { logDirOf, PidLock } from '@tracetape/log';

/** How long a reading command waits for another one that holds the embedded store. */
const WAIT_ENV = 'TRACETAPE_STORE_WAIT_MS';
const DEFAULT_WAIT_MS = 60_000;
const POLL_MS = 100;

export interface StoreAccess {
  options: StoreOptions;
  /** The recording log this store is fed from. */
  logDir: string;
}

export function storeAccessFromEnv(env: NodeJS.ProcessEnv = process.env): StoreAccess {
  const options = storeOptionsFromEnv(env);
  // The log of the store this command reads: the embedded one's, or the one shipped to this server.
  const destination = options.url ? { server: options.url, database: options.database } : undefined;
  return { options, logDir: path.resolve(env.TRACETAPE_LOG_DIR || logDirOf(options.dir ?? DEFAULT_STORE_DIR, destination)) };
}

/**
 * Opens the configured store for one command, first moving into it whatever the recording log
 * holds, and always closes it. The embedded engine serves one process at a time: a second
 * reading command waits for the first (saying so) instead of meeting the engine's lock error.
 */
export async function withStore<T>(work: (store: SpanStore) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const access = storeAccessFromEnv();
  if (!access.options.url && !options.create) requireEmbeddedStore(access.options.dir ?? DEFAULT_STORE_DIR, access.logDir);
  const release = await holdStore(access);
  const store = openStore(access.options);
  try {
    // A command that writes results (tracetape check) may be the store's first writer.
    if (options.create) await store.init();
    await ingestLog(store, access.logDir);
    return await work(store);
  } finally {
    try {
      await store.close();
    } finally {
      release();
    }
  }
}

/** Whether the configured store is there to write to: a server always is; an embedded one once something was recorded. */
export function storeExists(): boolean {
  const access = storeAccessFromEnv();
  if (access.options.url) return true;
  return fs.existsSync(path.join(path.resolve(access.options.dir ?? DEFAULT_STORE_DIR), 'metadata')) || fs.existsSync(access.logDir);
}

/**
 * Refuses to read a directory that holds no store: opening one would create an empty store there,
 * so a mistyped TRACETAPE_DIR would list nothing instead of saying so. The engine's `metadata`
 * directory marks a store; so does a recording log, whose runs the first reading command ingests.
 */
function requireEmbeddedStore(dir: string, logDir: string): void {
  const resolved = path.resolve(dir);
  if (fs.existsSync(path.join(resolved, 'metadata')) || fs.existsSync(logDir)) return;
  const named = process.env.TRACETAPE_DIR ? 'TRACETAPE_DIR' : `TRACETAPE_DIR unset, so ${DEFAULT_STORE_DIR}/ under the working directory`;
  throw new ConfigError(
    `no tracetape store at ${resolved} (${named}): record something first (\`tracetape record -- node app.js\`), or point TRACETAPE_DIR at the store.`,
  );
}

/** One ingest pass, with what it skipped or could not do said on stderr. */
export async function ingestLog(store: SpanStore, logDir: string): Promise<IngestReport> {
  const report = await new LogIngester({ store, logDir }).ingest();
  tellIngestReport(report, logDir);
  return report;
}

export function tellIngestReport(report: IngestReport, logDir: string): void {
  for (const skipped of report.skipped) {
    process.stderr.write(
      `tracetape: the recording log ${path.join(logDir, skipped.segment)} ended in ${skipped.bytes} unreadable byte(s) (${skipped.reason}); ` +
        `they were skipped, and the runs process ${skipped.pid} was recording are marked incomplete.\n`,
    );
  }
  if (report.rejected.count > 0) {
    process.stderr.write(`tracetape: ${report.rejected.count} span(s) in the recording log could not be stored: ${report.rejected.reasons.join('; ')}\n`);
  }
  if (report.busyPid !== undefined) {
    process.stderr.write(`tracetape: process ${report.busyPid} is moving the recording log into the store; what it has not stored yet is not shown.\n`);
  }
}

/** The embedded store is held for this command (see holdEmbeddedStore); a server needs no holding. Returns the release. */
export async function holdStore(access: StoreAccess): Promise<() => void> {
  return access.options.url ? () => undefined : holdEmbeddedStore(access.options.dir ?? DEFAULT_STORE_DIR);
}

/** Waits for the embedded store to be free; returns the release. */
export async function holdEmbeddedStore(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<() => void> {
  const resolved = path.resolve(dir);
  const lock = new PidLock(path.join(resolved, 'tracetape-reader.lock'));
  const waitMs = Number(env[WAIT_ENV] ?? DEFAULT_WAIT_MS);
  const deadline = Date.now() + (Number.isFinite(waitMs) && waitMs >= 0 ? waitMs : DEFAULT_WAIT_MS);
  let told = false;
  while (!lock.tryAcquire()) {
    const owner = lock.owner();
    if (Date.now() >= deadline) {
      throw new StoreUnavailableError(
        `embedded ClickHouse at ${resolved}`,
        new Error(`process ${owner ?? '(unknown)'} has been using it for longer than ${WAIT_ENV}=${waitMs} ms`),
        'Wait for that command to finish (a `tracetape collector` or `tracetape ingest --follow` holds the store until stopped), or raise TRACETAPE_STORE_WAIT_MS.',
      );
    }
    if (!told && owner !== undefined) {
      told = true;
      process.stderr.write(`tracetape: waiting for process ${owner}, which is using the store at ${resolved}…\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return () => lock.release();
}
