import { canonicalBody } from './body.js';
import type { NormalizedRequest } from './tape.js';

/** Headers that enter the hash by default. Everything else (dates, user agents, request IDs, traceparent, auth) is volatile. */
export const DEFAULT_HASH_HEADERS: readonly string[] = ['content-type'];

export interface RawRequest {
  method: string;
  url: string;
  headers: Iterable<[string, string]>;
  body?: Uint8Array | undefined;
  /**
   * `body` as UTF-8 text, when the step before (the redactor) has decoded it already: normalising
   * reads it instead of decoding the same bytes a second time.
   */
  bodyText?: string | undefined;
}

export interface NormalizeOptions {
  /** Header names (any case) whose values enter the normalised request and its hash. */
  hashHeaders?: readonly string[];
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Scheme and host lower-cased, default port and fragment dropped, query parameters sorted by name then value. */
export function normalizeUrl(input: string): string {
  const url = new URL(input);
  if (DEFAULT_PORTS[url.protocol] === url.port) url.port = '';
  url.hash = '';
  const params = [...url.searchParams.entries()].sort(([ak, av], [bk, bv]) =>
    ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1,
  );
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}

export function normalizeRequest(raw: RawRequest, options: NormalizeOptions = {}): NormalizedRequest {
  const allow = new Set((options.hashHeaders ?? DEFAULT_HASH_HEADERS).map((name) => name.toLowerCase()));
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of raw.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType = value;
    if (allow.has(lower)) headers[lower] = normalizeHeaderValue(lower, value);
  }
  const normalized: NormalizedRequest = {
    method: raw.method.toUpperCase(),
    url: normalizeUrl(raw.url),
    headers: sortRecord(headers),
  };
  if (raw.body && raw.body.byteLength > 0) normalized.body = canonicalBody(raw.body, contentType, raw.bodyText);
  return normalized;
}

function normalizeHeaderValue(name: string, value: string): string {
  // `application/json; charset=utf-8` and `application/json;charset=UTF-8` are the same request.
  if (name === 'content-type') return value.toLowerCase().replace(/\s*;\s*/g, '; ').trim();
  return value.trim();
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
