import {
  canonicalJson,
  type NormalizedRequest,
  type RecordedResponse,
  type Redactor,
  type RequestKeyRules,
} from '@tracetape/core';
import { redactJsonDocument, utf8Body } from '../database/json-document.js';
import type { EncodedValue } from '../database/value-codec.js';
import { withoutCredentials } from './redis-commands.js';
import { encodeRedisValue, errorName, type StoredRedisError } from './redis-value.js';

/** One command as the app sent it: its name upper-cased and its arguments encoded (redis-value.ts). */
export interface RedisCall {
  command: string;
  args: EncodedValue[];
}

export function redisCall(command: string, args: readonly unknown[]): RedisCall {
  // A number goes over the wire as its decimal text: `EX 60` and `EX '60'` are the same command.
  return { command: command.toUpperCase(), args: args.map((arg) => (typeof arg === 'number' || typeof arg === 'bigint' ? String(arg) : encodeRedisValue(arg))) };
}

/** Where a client's commands go: server and logical database (`redis://host:port/db`), never the password. */
export function redisTarget(host: string, port: number | undefined, db: number): string {
  // A unix socket is a path: kept readable in the host part, with no port.
  if (host.startsWith('/')) return `redis://${encodeURIComponent(host)}/${db}`;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `redis://${hostPart}:${port ?? 6379}/${db}`;
}

/**
 * Redis's rules for requestKey(): credentials (AUTH's password and the like) replaced, then the
 * arguments redacted as one JSON document `{args}` (body paths such as `$.args[1]` and the secret
 * patterns apply), then keyed by command, server and database, and the arguments.
 */
export function redisKeyRules(target: string): RequestKeyRules<RedisCall, RedisCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => ({ command: call.command, args: redactJsonDocument({ args: withoutCredentials(call.command, call.args) }, redactor).args }),
    normalize: (call) => ({ method: call.command, url: target, headers: {}, body: utf8Body(canonicalJson({ args: call.args })) }),
  };
}

/** Where in a transaction an error arose (node-redis MULTI only): absent, it is the command's own. */
export type RedisErrorStage = 'queue' | 'exec';

/** An error as the tape keeps it, with the Redis error prefix (WRONGTYPE, NOSCRIPT, EXECABORT…) when it has one. */
export interface RecordedRedisError extends StoredRedisError {
  prefix?: string;
  /**
   * node-redis MULTI: `queue` when the server refused the command as it was queued (the whole
   * transaction then fails with it), `exec` when EXEC itself failed (EXECABORT, a WATCH conflict).
   */
  stage?: RedisErrorStage;
}

/** A command's reply, redacted, as the tape keeps it: `{reply}` with the value encoded. */
export function replyResponse(reply: unknown, redactor: Redactor): RecordedResponse {
  return {
    status: 200,
    statusText: '',
    headers: [],
    body: redactor.encodedBody(utf8Body(JSON.stringify({ reply: encodeRedisValue(reply) })), 'application/json'),
    complete: true,
  };
}

/** A failed command as the tape keeps it: status 0, the error prefix as status text, the error redacted. */
export function errorResponse(error: RecordedRedisError, redactor: Redactor): RecordedResponse {
  return {
    status: 0,
    statusText: error.prefix ?? '',
    headers: [],
    body: redactor.encodedBody(utf8Body(JSON.stringify({ error })), 'application/json'),
    complete: true,
    error: redactor.text(error.message),
  };
}

/** What the tape keeps of an error the client raised. */
export function recordedError(error: unknown, stage?: RedisErrorStage): RecordedRedisError {
  const message = error instanceof Error ? error.message : String(error);
  return describedError(error instanceof Error ? errorName(error) : 'Error', message, stage);
}

export function describedError(name: string, message: string, stage?: RedisErrorStage): RecordedRedisError {
  const prefix = errorPrefix(message);
  return { name, message, ...(prefix ? { prefix } : {}), ...(stage ? { stage } : {}) };
}

/** The first word of an error reply when it is an error code: ERR, WRONGTYPE, NOSCRIPT, MOVED… */
export function errorPrefix(message: string): string | undefined {
  return /^([A-Z][A-Z0-9_]+)(?:\s|$)/.exec(message)?.[1];
}

/** What a recorded response says the command got: its encoded reply, or its error. */
export type RecordedOutcome = { reply: EncodedValue } | { error: RecordedRedisError };

export function recordedOutcome(response: RecordedResponse): RecordedOutcome {
  let document: { reply?: EncodedValue; error?: RecordedRedisError } = {};
  try {
    if (response.body?.encoding === 'utf8') document = JSON.parse(response.body.data) as typeof document;
  } catch {
    // An unreadable body: the response's own error, if any, says what happened.
  }
  if (document.error) return { error: document.error };
  if ('reply' in document && response.complete) return { reply: document.reply ?? null };
  return { error: describedError('Error', response.error ?? 'the recording holds no reply for this command (the process ended before it came)') };
}
