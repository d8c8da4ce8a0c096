/**
 * The parts of the `pg` client the postgres door touches, by shape: the door patches the module
 * the app loaded, and never imports `pg` itself.
 */

export interface PgConnectionParameters {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
}

export interface PgClientLike {
  connectionParameters?: PgConnectionParameters;
  emit?(event: string, ...args: unknown[]): boolean;
}

export interface PgFieldDef {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: string;
}

export interface PgResultLike {
  command: string;
  rowCount: number | null;
  oid: number | null;
  fields: PgFieldDef[];
  rows: unknown[];
  rowAsArray?: boolean;
}

/** The module exports the door patches: `Client` and the error class query errors are made of. */
export interface PgModule {
  Client: { prototype: PgClientPrototype };
  DatabaseError?: new (message: string, length: number, name: string) => Error;
}

export interface PgClientPrototype {
  connect(...args: unknown[]): unknown;
  query(...args: unknown[]): unknown;
  end(...args: unknown[]): unknown;
}

export type PgCallback = (error: Error | null, result?: unknown) => void;
