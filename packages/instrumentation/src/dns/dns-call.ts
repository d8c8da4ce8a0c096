import { canonicalJson, type NormalizedRequest, type RecordedResponse, type Redactor, type RequestKeyRules } from '@tracetape/core';
import { utf8Body } from '../database/json-document.js';

/** One DNS question as the app asked it. */
export interface DnsCall {
  /** The dns function asked: `lookup`, `lookupService`, `resolve`, `resolve4`, `reverse`… */
  operation: string;
  /** The name asked about (an address for `reverse`, `address:port` for `lookupService`). */
  name: string;
  /** What changes the answer besides the name: the record type of `resolve`, the options of `lookup`, `ttl`. */
  options?: Record<string, unknown>;
}

/**
 * DNS's rules for requestKey(): keyed by operation, name and options. The servers a Resolver was
 * pointed at are left out: the same code sets the same servers, and where the answer came from
 * does not change the question.
 */
export function dnsKeyRules(): RequestKeyRules<DnsCall, DnsCall, NormalizedRequest> {
  return {
    redact: (call) => call,
    normalize: (call) => ({
      method: call.operation,
      url: `dns:${call.name.toLowerCase()}`,
      headers: {},
      ...(call.options && Object.keys(call.options).length > 0 ? { body: utf8Body(canonicalJson(call.options)) } : {}),
    }),
  };
}

/** An answer as the tape keeps it: the value the promise form of the function resolves with. */
export function answerResponse(answer: unknown): RecordedResponse {
  return { status: 200, statusText: 'ok', headers: [], body: utf8Body(JSON.stringify({ answer })), complete: true };
}

/** A failed question (`ENOTFOUND`, `ENODATA`, `ETIMEOUT`…) as the tape keeps it. */
export function errorResponse(error: unknown, redactor: Redactor): RecordedResponse {
  const failure = error as { code?: unknown; message?: unknown; syscall?: unknown; hostname?: unknown };
  const stored = {
    code: typeof failure.code === 'string' ? failure.code : undefined,
    syscall: typeof failure.syscall === 'string' ? failure.syscall : undefined,
    hostname: typeof failure.hostname === 'string' ? failure.hostname : undefined,
    message: redactor.text(String(failure.message ?? error)),
  };
  return { status: 0, statusText: stored.code ?? 'error', headers: [], body: utf8Body(JSON.stringify({ error: stored })), complete: true, error: stored.message };
}

/** What the app gets back in a replay: the recorded answer, or the recorded error rebuilt as Node builds it. */
export function outcomeOf(response: RecordedResponse): { error: Error } | { answer: unknown } {
  const document = JSON.parse(response.body?.data ?? '{}') as { answer?: unknown; error?: Record<string, string | undefined> };
  if (document.error) {
    const { message, ...fields } = document.error;
    const error = new Error(message ?? response.error ?? 'DNS query failed');
    for (const [field, value] of Object.entries(fields)) if (value !== undefined) (error as unknown as Record<string, unknown>)[field] = value;
    return { error };
  }
  return { answer: document.answer };
}
