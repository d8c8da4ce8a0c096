import type { EventEmitter } from 'node:events';

/**
 * The parts of `mysql2` the MySQL door touches, by shape: the door patches the module the app
 * loaded, and never imports `mysql2` itself.
 */

/** The `mysql2` versions the door knows: 3.x, whose Connection API it wraps and replays. */
export const MYSQL2_VERSIONS = ['>=3.0.0 <4'];

/** A connection's ConnectionConfig: what the door addresses calls to (never the user or password). */
export interface MysqlConfigLike {
  host?: string;
  port?: number;
  database?: string;
  /** The user the connection logs in as: its name is listed among the call's credentials, never the password. */
  user?: string;
  socketPath?: string;
  charsetNumber?: number;
}

export type MysqlCallback = (error: Error | null, rows?: unknown, fields?: unknown) => void;

/** A mysql2 command (Query, Execute…): an EventEmitter, with `onResult` when the app gave a callback. */
export interface MysqlCommandLike extends EventEmitter {
  sql?: string;
  values?: unknown;
  namedPlaceholders?: unknown;
  onResult?: MysqlCallback;
}

/** A mysql2 connection (BaseConnection and its subclasses), as the door's patches see `this`. */
export interface MysqlConnectionLike extends EventEmitter {
  config: MysqlConfigLike;
  stream?: unknown;
  authorized?: boolean;
  _closing?: boolean;
  format?(sql: string, values: unknown, namedPlaceholders?: unknown): string;
  _resolveNamedPlaceholders?(options: MysqlCommandLike): void;
}

/** The methods of Connection.prototype the door wraps (capture) or replaces (playback). */
export interface MysqlConnectionPrototype {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
  addCommand(command: MysqlCommandLike): unknown;
}

/** `mysql2/lib/connection.js`'s export: the Connection class, with the static that builds a Query command. */
export interface MysqlConnectionClass {
  prototype: MysqlConnectionPrototype;
  createQuery?(sql: unknown, values: unknown, callback: unknown, config: MysqlConfigLike): MysqlCommandLike;
}

/** `mysql2/lib/connection_config.js`'s export. */
export type MysqlConnectionConfigClass = new (options: unknown) => MysqlConfigLike & Record<string, unknown>;

/**
 * The prototype mysql2 keeps query and execute on: BaseConnection's (mysql2 3.x), else
 * Connection's; the one the official instrumentation wraps too.
 */
export function connectionPrototype(Connection: MysqlConnectionClass): MysqlConnectionPrototype {
  const proto = Connection.prototype;
  const base = Object.getPrototypeOf(proto) as Partial<MysqlConnectionPrototype> | null;
  return base && typeof base.query === 'function' && typeof base.execute === 'function' ? (base as MysqlConnectionPrototype) : proto;
}
