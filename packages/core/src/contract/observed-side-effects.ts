import { decodeBody } from '../body.js';
import { isSideEffect, type ReplayReport } from '../matcher.js';
import type { BoundaryKind, Tape, TapeEntry } from '../tape.js';
import type { ObservedSideEffect } from './contract.js';

/*
 * What a check run attempted that changes something outside, read from its replay report: the
 * side effects the tape answered (so they did not happen again, but the code did attempt them),
 * the ones refused because the tape did not hold them, and the ones sent for real (--then-live).
 * A contract counts attempts: a second refund the tape answered is a second refund the code asked
 * for, and would have made in production.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DATABASE_DOORS = new Set<BoundaryKind>(['postgres', 'mysql']);

/**
 * Statement verbs that change nothing outside the session (sql-statement.ts of the database doors
 * keeps the same list): for a blocked call, whose statement the report does not hold.
 */
const NON_MUTATING_VERBS = new Set([
  'SELECT', 'SHOW', 'EXPLAIN', 'VALUES', 'TABLE', 'DESCRIBE', 'DESC', 'FETCH',
  'BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'SET', 'RESET', 'USE', 'DECLARE', 'CLOSE',
  'PREPARE', 'DEALLOCATE', 'DISCARD', 'LISTEN', 'UNLISTEN',
]);

/** The door of a URL the report names, by the scheme each door addresses its calls with. */
const DOOR_BY_SCHEME: Record<string, BoundaryKind> = {
  'http:': 'http',
  'https:': 'http',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'redis:': 'redis',
  'rediss:': 'redis',
  'grpc:': 'grpc',
  'ws:': 'websocket',
  'wss:': 'websocket',
};

export function observedSideEffects(report: ReplayReport, tape: Tape): ObservedSideEffect[] {
  const byStep = new Map(tape.entries.map((entry) => [entry.step, entry]));
  const effects: ObservedSideEffect[] = [];
  for (const served of report.served) {
    const entry = byStep.get(served.step);
    // LLM calls are POSTs that change nothing outside: a model call is a question, not an effect.
    if (!entry || entry.llm || !isSideEffect(entry)) continue;
    const effect: ObservedSideEffect = { door: entry.kind, method: served.method, url: served.url, step: entry.step, how: 'served' };
    const table = tableOfEntry(entry);
    if (table !== undefined) effect.table = table;
    if (served.idempotencyKey !== undefined) effect.idempotencyKey = served.idempotencyKey;
    effects.push(effect);
  }
  const unanswered = [
    ...report.blocked.map((call) => ({ ...call, how: 'blocked' as const })),
    ...(report.live ?? []).map((call) => ({ ...call, how: 'live' as const })),
  ].sort((a, b) => a.callIndex - b.callIndex);
  for (const call of unanswered) {
    const closest = call.closestStep !== undefined ? byStep.get(call.closestStep) : undefined;
    // A model call the tape lacks (another prompt, another model) is still a model call, not an effect:
    // it goes where a recorded LLM call went, by the same method.
    if (closest?.llm && closest.request.normalized.method === call.method && endpointOf(closest.request.normalized.url) === endpointOf(call.url)) continue;
    const door = doorOf(call.url, call.method, closest);
    if (!unansweredIsSideEffect(door, call.method, closest)) continue;
    const effect: ObservedSideEffect = { door, method: call.method, url: call.url, how: call.how };
    const table = DATABASE_DOORS.has(door) ? tableOfCall('diff' in call ? call.diff : undefined, closest, door) : undefined;
    if (table !== undefined) effect.table = table;
    if (call.idempotencyKey !== undefined) effect.idempotencyKey = call.idempotencyKey;
    effects.push(effect);
  }
  return effects;
}

/**
 * The door of a call the tape did not answer: the report does not say. The URL's scheme tells the
 * doors apart that address calls with their own (postgres://, redis://…); an http(s) URL or an
 * unknown one takes the kind of the closest recorded step when that step made the same method,
 * else HTTP.
 */
function doorOf(url: string, method: string, closest: TapeEntry | undefined): BoundaryKind {
  const sameMethod = closest && closest.request.normalized.method === method ? closest : undefined;
  return doorOfUrl(url, sameMethod?.kind ?? 'http');
}

/** Origin and path: where a call goes, whatever its query. */
function endpointOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url;
  }
}

function doorOfUrl(url: string, fallback: BoundaryKind): BoundaryKind {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    return fallback;
  }
  const door = DOOR_BY_SCHEME[scheme];
  // Several doors speak over http(s) URLs (mcp, process…): there the closest step knows better.
  return door === undefined || door === 'http' ? fallback : door;
}

/**
 * Whether a call the tape did not answer changes something. The closest recorded step of the same
 * door and method has the door's own judgement (a Redis GET from a SET); else a database statement
 * by its verb (anything unknown counts as a write, as the doors count it), DNS never, and any other
 * door by HTTP's rule.
 */
function unansweredIsSideEffect(door: BoundaryKind, method: string, closest: TapeEntry | undefined): boolean {
  if (closest && closest.kind === door && closest.request.normalized.method === method && closest.sideEffect !== undefined) {
    // WITH … is a read or a write depending on its parts: the closest step's may differ.
    if (!(DATABASE_DOORS.has(door) && method.toUpperCase() === 'WITH')) return closest.sideEffect;
  }
  if (DATABASE_DOORS.has(door)) return !NON_MUTATING_VERBS.has(method.toUpperCase());
  if (door === 'dns') return false;
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * The table of a database call the tape did not answer. The report holds its diff against the
 * closest step, not its statement: a statement that differs is in the diff (clipped, which leaves
 * its table), one that does not is the closest step's.
 */
function tableOfCall(diff: ReadonlyArray<{ path: string; current?: string }> | undefined, closest: TapeEntry | undefined, door: BoundaryKind): string | undefined {
  const changed = diff?.find((d) => d.path === 'body.statement');
  if (changed) return tableOfStatement(diffString(changed.current));
  return diff && closest?.kind === door ? tableOfEntry(closest) : undefined;
}

/** The table a recorded database statement writes, read from the door's request body `{ statement, params }`. */
export function tableOfEntry(entry: TapeEntry): string | undefined {
  if (!DATABASE_DOORS.has(entry.kind)) return undefined;
  const body = entry.request.normalized.body;
  if (!body) return undefined;
  try {
    const document = JSON.parse(Buffer.from(decodeBody(body)).toString('utf8')) as unknown;
    if (document !== null && typeof document === 'object' && typeof (document as { statement?: unknown }).statement === 'string') {
      return tableOfStatement((document as { statement: string }).statement);
    }
  } catch {
    // Not the door's JSON document: no table to read.
  }
  return undefined;
}

/** A diff's value is JSON text (`"INSERT INTO \"t\" …"`), perhaps clipped: the string it holds. */
function diffString(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value.slice(1).replace(/\\(.)/g, '$1');
  }
}

/** One name: bare, "double-quoted" (Postgres) or `backticked` (MySQL). */
const NAME = String.raw`(?:"(?:[^"]|"")+"|\x60[^\x60]+\x60|[A-Za-z_][\w$]*)`;
/**
 * The written table of INSERT INTO t, UPDATE t, DELETE FROM t, REPLACE INTO t, MERGE INTO t (MySQL's
 * modifiers and Postgres's ONLY allowed), the first one in the statement, so that `WITH … INSERT`
 * finds its write. `FOR UPDATE` (a lock) and `DO UPDATE` (of ON CONFLICT, same table) are not writes of
 * their own.
 */
const WRITE = new RegExp(
  String.raw`(?<!\b(?:FOR|DO|KEY)\s+)\b(?:INSERT(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE))*\s+INTO|REPLACE(?:\s+(?:LOW_PRIORITY|DELAYED))*\s+INTO|MERGE\s+INTO|UPSERT\s+INTO|UPDATE(?:\s+(?:LOW_PRIORITY|IGNORE|ONLY))*|DELETE(?:\s+(?:LOW_PRIORITY|QUICK|IGNORE))*\s+FROM(?:\s+ONLY)?)\s+(${NAME}(?:\s*\.\s*${NAME})*)`,
  'i',
);

/** The table a SQL statement writes, unquoted and without its schema (`"public"."orders"` → `orders`). */
export function tableOfStatement(statement: string | undefined): string | undefined {
  if (statement === undefined) return undefined;
  // String literals are data: `SELECT 'UPDATE x'` writes nothing. Comments likewise.
  const code = statement.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const match = WRITE.exec(code);
  if (!match) return undefined;
  const names = match[1]!.match(new RegExp(NAME, 'g'))!;
  const last = names.at(-1)!;
  if (last.startsWith('"')) return last.slice(1, -1).replace(/""/g, '"');
  if (last.startsWith('`')) return last.slice(1, -1);
  return last;
}
