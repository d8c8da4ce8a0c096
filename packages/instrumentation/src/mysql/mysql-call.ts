import {
  canonicalJson,
  type NormalizedRequest,
  type RecordedResponse,
  type Redactor,
  type RequestKeyRules,
} from '@tracetape/core';
import { databaseErrorResponse } from '../database/error-response.js';
import { redactJsonDocument, utf8Body } from '../database/json-document.js';
import { normalizeStatement, statementVerb } from '../database/sql-statement.js';
import { decodeValue, encodeValue, type EncodedValue } from '../database/value-codec.js';
import type { MysqlCommandLike, MysqlConfigLike } from './mysql-types.js';

/**
 * One query as the app made it, with its values encoded (value-codec.ts): an array for `?`
 * placeholders, an object for named placeholders (or a `SET ?` object).
 */
export interface MysqlCall {
  statement: string;
  params: EncodedValue[] | { [name: string]: EncodedValue };
}

export type MysqlMethod = 'query' | 'execute';

/** A query's arguments, read the way mysql2 reads them. */
export interface QueryArgs {
  call: MysqlCall;
  /** The values as given, for what mysql2 builds from them (the formatted statement of an error). */
  values: unknown;
  /** Where in the arguments the callback is, when the app passed one. */
  callbackIndex?: number;
  /** A Query command passed in place of the statement (what a pool's query hands its connection). */
  command?: MysqlCommandLike;
}

/**
 * `query(sql | options | command, values?, callback?)` and `execute(sql | options, values?, callback?)`;
 * undefined when there is no statement to read.
 */
export function readQueryArgs(args: readonly unknown[], method: MysqlMethod): QueryArgs | undefined {
  const [first, second] = args;
  const secondIsValues = typeof second !== 'function';
  let statement: string;
  let values: unknown;
  let command: MysqlCommandLike | undefined;
  if (typeof first === 'string') {
    statement = first;
    values = secondIsValues ? second : undefined;
  } else if (method === 'query' && isCommand(first)) {
    command = first;
    statement = first.sql!;
    values = first.values;
  } else if (first !== null && typeof first === 'object' && typeof (first as { sql?: unknown }).sql === 'string') {
    const options = first as { sql: string; values?: unknown };
    statement = options.sql;
    // The two methods merge them the other way round (BaseConnection.createQuery and execute).
    if (method === 'query') values = secondIsValues && second !== undefined ? second : options.values;
    else values = options.values || (secondIsValues ? second : undefined);
  } else {
    return undefined;
  }
  const read: QueryArgs = { call: { statement, params: encodeParams(values) }, values };
  if (command) read.command = command;
  const callbackIndex = [1, 2].find((index) => typeof args[index] === 'function');
  if (callbackIndex !== undefined && !command) read.callbackIndex = callbackIndex;
  return read;
}

/** A mysql2 command object (an EventEmitter with its statement), not an options object. */
export function isCommand(value: unknown): value is MysqlCommandLike & { sql: string } {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { on?: unknown; sql?: unknown };
  return typeof candidate.on === 'function' && typeof candidate.sql === 'string' && 'onResult' in candidate;
}

function encodeParams(values: unknown): MysqlCall['params'] {
  if (values === undefined || values === null) return [];
  if (Array.isArray(values)) return values.map(encodeValue);
  if (isPlainObject(values)) return encodeValue(values) as { [name: string]: EncodedValue };
  // mysql2 formats a lone value as the only one.
  return [encodeValue(values)];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What the calls of a connection are addressed to: server and database, never the user or password. */
export function targetOf(config: MysqlConfigLike | undefined): string {
  const { host = 'localhost', port = 3306, database, socketPath } = config ?? {};
  // A unix socket is a path: keep it readable in the URL's host part.
  const hostPart = socketPath ? encodeURIComponent(socketPath) : host.includes(':') ? `[${host}]` : host;
  return `mysql://${hostPart}:${port}/${encodeURIComponent(database ?? '')}`;
}

/**
 * MySQL's rules for requestKey(): statement and values are redacted as one JSON document (body
 * paths such as `$.params[0]` and secret patterns apply), then keyed by operation, server and
 * database, the statement with its whitespace collapsed, and the values.
 */
export function mysqlKeyRules(target: string): RequestKeyRules<MysqlCall, MysqlCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => redactJsonDocument(call, redactor),
    // query or execute, rowsAsArray, nestTables: they change how the answer is read, not the question.
    normalize: (call) => {
      const body = { statement: normalizeStatement(call.statement), params: call.params };
      return { method: statementVerb(call.statement), url: target, headers: {}, body: utf8Body(canonicalJson(body)) };
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Results

/** A column of a result set as mysql2 describes it (its ColumnDefinition), rebuilt in a replay. */
export class ColumnDefinition {
  [key: string]: unknown;
  /** mysql2's alias for the schema. */
  get db(): unknown {
    return this.schema;
  }
}

/**
 * The OK packet of a statement that returns no rows (INSERT, UPDATE, DDL…), rebuilt in a replay
 * under mysql2's class name so that it prints as it did.
 */
export class ResultSetHeader {
  [key: string]: unknown;
}

/** The ColumnDefinition properties an app can read (most are getters over the packet). */
const FIELD_KEYS = [
  'catalog', 'schema', 'name', 'orgName', 'table', 'orgTable', 'characterSet', 'encoding',
  'columnLength', 'columnType', 'type', 'flags', 'decimals', 'extendedTypeName', 'extendedFormat',
] as const;

type StoredFields = Array<Record<string, EncodedValue>>;
/** One result set as the tape keeps it: rows and their columns, or the OK packet of a write. */
type StoredSet = { rows: EncodedValue[]; fields?: StoredFields } | { header: Record<string, EncodedValue> };
/** A query's result: one set, or several (multiple statements, a CALL). */
type StoredResult = StoredSet | { results: StoredSet[] };

/** One result set as the app is given it. */
export interface ResultSet {
  rows?: unknown[];
  header?: ResultSetHeader;
  fields?: ColumnDefinition[];
}

/** A query's result: `sets` in order; `multiple` when mysql2 handed them over as arrays of sets. */
export interface MysqlResult {
  sets: ResultSet[];
  multiple: boolean;
}

/** What the callback of a query gets after the error: `rows` and `fields`, as mysql2 passes them. */
export function callbackValues(result: MysqlResult): [rows: unknown, fields: unknown] {
  const value = (set: ResultSet): unknown => set.header ?? set.rows;
  if (result.multiple) return [result.sets.map(value), result.sets.map((set) => set.fields)];
  const [set] = result.sets;
  return set ? [value(set), set.fields] : [[], undefined];
}

/**
 * The result as the app was given it (`rows` and `fields` of the callback), in the tape's terms.
 * Several statements come as arrays of sets, with an array of column lists (undefined for a write).
 */
export function readResult(rows: unknown, fields: unknown): StoredResult {
  const multiple = Array.isArray(rows) && Array.isArray(fields) && fields.length > 0 && fields.every((f) => f === undefined || Array.isArray(f));
  if (multiple) return { results: (rows as unknown[]).map((set, index) => storedSet(set, (fields as unknown[])[index])) };
  return storedSet(rows, fields);
}

function storedSet(rows: unknown, fields: unknown): StoredSet {
  if (!Array.isArray(rows) && isHeader(rows)) return { header: encodeValue({ ...rows }) as Record<string, EncodedValue> };
  const set: StoredSet = { rows: Array.isArray(rows) ? rows.map(encodeValue) : [encodeValue(rows)] };
  if (Array.isArray(fields)) set.fields = fields.map(storedField);
  return set;
}

function isHeader(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  return (value as object).constructor?.name === 'ResultSetHeader' || ('affectedRows' in value && 'fieldCount' in value);
}

function storedField(field: unknown): Record<string, EncodedValue> {
  const source = (field ?? {}) as Record<string, unknown>;
  const out: Record<string, EncodedValue> = {};
  for (const key of FIELD_KEYS) if (source[key] !== undefined) out[key] = encodeValue(source[key]);
  return out;
}

/** A query's result, redacted, as the tape keeps it. */
export function resultResponse(stored: StoredResult, redactor: Redactor): RecordedResponse {
  const sets = 'results' in stored ? stored.results : [stored];
  const describe = (set: StoredSet): string => ('header' in set ? `OK ${String(set.header.affectedRows ?? 0)}` : `${set.rows.length} row${set.rows.length === 1 ? '' : 's'}`);
  return {
    status: 200,
    statusText: sets.map(describe).join(', '),
    headers: [],
    body: redactor.encodedBody(utf8Body(JSON.stringify(stored)), 'application/json'),
    complete: true,
  };
}

/** Fields of a mysql2 error worth keeping, in the order mysql2 sets them: what the app may branch on. */
const ERROR_FIELDS = ['code', 'errno', 'sqlState', 'sqlMessage', 'fatal'] as const;

/** A failed query as the tape keeps it, with mysql2's error fields. */
export function errorResponse(error: unknown, redactor: Redactor): RecordedResponse {
  // The formatted statement holds the values: it is not stored, a replay formats it again.
  const hadSql = typeof (error as { sql?: unknown } | null)?.sql === 'string';
  return databaseErrorResponse(error, ERROR_FIELDS, redactor, hadSql ? { sql: true } : {});
}

export type MysqlOutcome = { error: Error } | { result: MysqlResult };

/**
 * What the app gets back in a replay: the recorded result, or the recorded error rebuilt as
 * mysql2 builds it. `sql` is the statement as mysql2 would have put it on the error.
 */
export function outcomeOf(response: RecordedResponse, sql: string | undefined): MysqlOutcome {
  const document = JSON.parse(response.body?.data ?? '{}') as Record<string, unknown>;
  if (document.error) {
    const stored = document.error as Record<string, unknown>;
    const error = new Error(String(stored.message ?? response.error ?? 'query failed'));
    if (typeof stored.name === 'string' && stored.name !== 'Error') error.name = stored.name;
    const fields = error as unknown as Record<string, unknown>;
    for (const field of ERROR_FIELDS.slice(0, 4)) if (stored[field] !== undefined) fields[field] = stored[field];
    if (stored.sql === true && sql !== undefined) fields.sql = sql;
    if (stored.fatal !== undefined) fields.fatal = stored.fatal;
    return { error };
  }
  const stored = document as StoredResult;
  if ('results' in stored) return { result: { sets: stored.results.map(rebuildSet), multiple: true } };
  return { result: { sets: [rebuildSet(stored)], multiple: false } };
}

function rebuildSet(stored: StoredSet): ResultSet {
  if ('header' in stored) return { header: Object.assign(new ResultSetHeader(), decodeValue(stored.header) as object) };
  const set: ResultSet = { rows: stored.rows.map(decodeValue) };
  if (stored.fields) set.fields = stored.fields.map((field) => Object.assign(new ColumnDefinition(), decodeValue(field) as object));
  return set;
}
