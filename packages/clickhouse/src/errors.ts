import { StoreUnavailableError, TracetapeError } from '@tracetape/core';

/** ClickHouse (server or embedded) refused a statement: bad SQL, a missing table, a type mismatch. */
export class StoreQueryError extends TracetapeError {
  constructor(location: string, cause: unknown) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/[.\s]+$/, '');
    super(
      'TRACETAPE_STORE_QUERY',
      `The trace store (${location}) rejected a query: ${reason}. Check the SQL; if a tracetape table is missing, the store was not initialised with this version's schema.`,
      { cause },
    );
  }
}

/**
 * ClickHouse refused SQL a user typed (`tracetape query`): their SQL, so the message is
 * ClickHouse's own reason and nothing about tracetape's tables. `readOnlyRefusal` says the
 * statement would have changed the store while the query ran read-only.
 */
export class UserQueryError extends TracetapeError {
  readonly reason: string;
  readonly readOnlyRefusal: boolean;
  constructor(location: string, cause: unknown) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/[.\s]+$/, '');
    super('TRACETAPE_USER_QUERY', `${location} refused the query: ${reason}.`, { cause });
    this.reason = reason;
    // Code 164 (READONLY): "Cannot execute query in readonly mode", "Cannot modify 'x' setting in readonly mode".
    this.readOnlyRefusal = /\(READONLY\)|in readonly mode/i.test(reason);
  }
}

/** The embedded store's directory cannot be opened by this process. */
export function embeddedStoreLocked(location: string, dir: string, cause: unknown): StoreUnavailableError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(
    location,
    new Error(`chDB could not open ${dir} (${detail})`, { cause }),
    'Another process most likely holds the embedded store: chDB lets one process at a time use a directory. Stop the other process (or point TRACETAPE_DIR at another directory) and try again.',
  );
}

/** This process already bound a different embedded directory; libchdb serves one per process. */
export function embeddedStoreConflict(location: string, dir: string, cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    location,
    new Error('this process already uses another embedded store directory, and chDB serves one directory per process', { cause }),
    `Close that store before opening ${dir}, or use one TRACETAPE_DIR throughout.`,
  );
}

/** The embedded store could not write an insert's rows to its directory (a full disk, permissions). */
export function insertFileUnwritable(location: string, dir: string, cause: unknown): StoreUnavailableError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(
    location,
    new Error(`could not write rows for the engine under ${dir} (${detail})`, { cause }),
    'Free space on that disk or make that directory writable; later batches try again.',
  );
}
