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
import type { PgCallback, PgClientLike, PgModule, PgResultLike } from './pg-types.js';

/** One query as the app made it, with its values encoded (value-codec.ts). */
export interface PostgresCall {
  statement: string;
  params: EncodedValue[];
  /** A named prepared statement. */
  name?: string;
}

/** A query's arguments, read the way `pg` reads them; undefined for a Submittable (a cursor, a stream). */
export interface QueryArgs {
  call: PostgresCall;
  /** Where in the arguments the callback is, when the app passed one. */
  callbackIndex?: number;
  /** A query config object's own `callback`. */
  configCallback?: boolean;
}

export function readQueryArgs(args: readonly unknown[]): QueryArgs | undefined {
  const [first, second] = args;
  let text: string;
  let values: unknown;
  let name: string | undefined;
  let configCallback = false;
  if (typeof first === 'string') {
    text = first;
    values = second;
  } else if (first !== null && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
    const config = first as { text: string; values?: unknown; name?: unknown; callback?: unknown; submit?: unknown };
    if (typeof config.submit === 'function') return undefined;
    text = config.text;
    values = config.values ?? second;
    if (typeof config.name === 'string') name = config.name;
    configCallback = typeof config.callback === 'function';
  } else {
    return undefined;
  }
  const call: PostgresCall = { statement: text, params: Array.isArray(values) ? values.map(encodeValue) : [] };
  if (name !== undefined) call.name = name;
  const last = args.length - 1;
  const read: QueryArgs = { call };
  if (last > 0 && typeof args[last] === 'function') read.callbackIndex = last;
  else if (configCallback) read.configCallback = true;
  return read;
}

/** What the calls of a client are addressed to: server and database, never the user or password. */
export function targetOf(client: PgClientLike): string {
  const { host = 'localhost', port = 5432, database = '' } = client.connectionParameters ?? {};
  // A unix socket directory is a path: keep it readable in the URL's host part.
  const hostPart = host.startsWith('/') ? encodeURIComponent(host) : host.includes(':') ? `[${host}]` : host;
  return `postgres://${hostPart}:${port}/${encodeURIComponent(database)}`;
}

/**
 * Postgres's rules for requestKey(): statement and values are redacted as one JSON document (body
 * paths such as `$.params[0]` and secret patterns apply), then keyed by operation, server and
 * database, the statement with its whitespace collapsed, and the values.
 */
export function postgresKeyRules(target: string): RequestKeyRules<PostgresCall, PostgresCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => redactJsonDocument(call, redactor),
    normalize: (call) => {
      // rowMode changes the shape of the answer, not the question: the recorded result carries it.
      const body: Record<string, unknown> = { statement: normalizeStatement(call.statement), params: call.params };
      if (call.name !== undefined) body.name = call.name;
      return { method: statementVerb(call.statement), url: target, headers: {}, body: utf8Body(canonicalJson(body)) };
    },
  };
}

/** A query's result (or the results of several statements sent as one), redacted, as the tape keeps it. */
export function resultResponse(result: PgResultLike | PgResultLike[], redactor: Redactor): RecordedResponse {
  const results = Array.isArray(result) ? result : [result];
  const stored = results.map((r) => ({
    command: r.command,
    rowCount: r.rowCount,
    oid: r.oid,
    fields: r.fields.map((f) => ({ ...f })),
    rows: r.rows.map(encodeValue),
    ...(r.rowAsArray ? { rowAsArray: true } : {}),
  }));
  const body = Array.isArray(result) ? { results: stored } : stored[0]!;
  const last = results.at(-1);
  return {
    status: 200,
    statusText: last ? `${last.command} ${last.rowCount ?? ''}`.trim() : '',
    headers: [],
    body: redactor.encodedBody(utf8Body(JSON.stringify(body)), 'application/json'),
    complete: true,
  };
}

/** Fields of pg's DatabaseError worth keeping: what the app may branch on (the SQLSTATE first). */
const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

/** A failed query as the tape keeps it, with pg's error fields. */
export function errorResponse(error: unknown, redactor: Redactor): RecordedResponse {
  return databaseErrorResponse(error, ERROR_FIELDS, redactor);
}

/** What the app gets back in a replay: the recorded result, or the recorded error rebuilt as pg builds it. */
export function outcomeOf(response: RecordedResponse, pg: PgModule): { error: Error } | { result: unknown } {
  const document = JSON.parse(response.body?.data ?? '{}') as Record<string, unknown>;
  if (document.error) {
    const stored = document.error as Record<string, unknown>;
    const message = String(stored.message ?? response.error ?? 'query failed');
    const error = pg.DatabaseError ? new pg.DatabaseError(message, 0, 'error') : new Error(message);
    for (const field of ERROR_FIELDS) if (stored[field] !== undefined) (error as unknown as Record<string, unknown>)[field] = stored[field];
    return { error };
  }
  const rebuild = (stored: Record<string, unknown>): PgResultLike => ({
    command: String(stored.command ?? ''),
    rowCount: (stored.rowCount as number | null) ?? null,
    oid: (stored.oid as number | null) ?? null,
    fields: (stored.fields as PgResultLike['fields']) ?? [],
    rows: ((stored.rows as EncodedValue[]) ?? []).map(decodeValue),
    ...(stored.rowAsArray ? { rowAsArray: true } : {}),
  });
  return { result: Array.isArray(document.results) ? (document.results as Record<string, unknown>[]).map(rebuild) : rebuild(document) };
}

/** Calls back as pg does, on a later turn, or settles the promise pg would have returned. */
export function deliver(outcome: { error: Error } | { result: unknown }, callback: PgCallback | undefined): Promise<unknown> | undefined {
  if (callback) {
    setImmediate(() => ('error' in outcome ? callback(outcome.error) : callback(null, outcome.result)));
    return undefined;
  }
  return 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome.result);
}
