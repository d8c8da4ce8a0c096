import { encodeBody, isJsonContentType, type EncodedBody } from './body.js';
import { parseJsonExact } from './canonical-json.js';
import type { RawRequest } from './normalize.js';
import { parseJsonPath, redactJsonPath, redactJsonStrings, type JsonPath } from './redact-json.js';
import { DEFAULT_SECRET_PATTERNS, SecretPatterns } from './redact-patterns.js';
import { DEFAULT_REDACTED_QUERY_PARAMS, redactQuery, redactUrl } from './redact-url.js';

export { DEFAULT_SECRET_PATTERNS, parsePatternList } from './redact-patterns.js';
export { DEFAULT_REDACTED_QUERY_PARAMS } from './redact-url.js';
export { parseJsonPath, type JsonPath, type JsonPathStep } from './redact-json.js';

/** Headers whose values never reach storage unless configured otherwise. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
];

export const REDACTED = '[REDACTED]';

export interface RedactionOptions {
  /** Header names (any case) whose values are replaced by {@link REDACTED}. */
  headers?: readonly string[];
  /** Query (and form body) parameter names (any case) whose values are replaced (default {@link DEFAULT_REDACTED_QUERY_PARAMS}). */
  query?: readonly string[];
  /** JSON body paths (`$.password`, `$.messages[*].api_key`, see {@link parseJsonPath}) whose values are replaced. */
  bodyPaths?: readonly string[];
  /** Regular expressions for secret shapes, replaced wherever they appear (default {@link DEFAULT_SECRET_PATTERNS}). */
  patterns?: readonly string[];
}

/** Content types that are never text: their bodies are stored as they are, without a look. */
const BINARY_TYPES = /^(?:image|audio|video|font)\/|^application\/(?:octet-stream|zip|gzip|pdf|x-protobuf|protobuf|grpc|wasm)/;

/**
 * Removes secrets from what is about to be stored or hashed. Capture and playback redact a request
 * with the same Redactor settings before normalising it, so the input hash never depends on a
 * secret's value: rotating a key leaves every recording replayable.
 */
export class Redactor {
  private readonly headerNames: ReadonlySet<string>;
  private readonly queryNames: ReadonlySet<string>;
  private readonly bodyPaths: readonly JsonPath[];
  private readonly patterns: SecretPatterns;

  constructor(options: RedactionOptions = {}) {
    this.headerNames = new Set((options.headers ?? DEFAULT_REDACTED_HEADERS).map((name) => name.toLowerCase()));
    this.queryNames = new Set((options.query ?? DEFAULT_REDACTED_QUERY_PARAMS).map((name) => name.toLowerCase()));
    this.bodyPaths = (options.bodyPaths ?? []).map(parseJsonPath);
    this.patterns = new SecretPatterns(options.patterns ?? DEFAULT_SECRET_PATTERNS);
  }

  isRedactedHeader(name: string): boolean {
    return this.headerNames.has(name.toLowerCase());
  }

  headers(headers: Iterable<[string, string]>): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    // A value can be a URL (`referer`, `location` of a redirect to `/callback?token=…`): redacted as
    // one, which for a value without a query is the same as redacting it as text.
    for (const [name, value] of headers) out.push([name, this.isRedactedHeader(name) ? REDACTED : this.url(value)]);
    return out;
  }

  /** Secret shapes in free text (a header value, a span attribute, an error message). */
  text(value: string): string {
    return this.patterns.redact(value, REDACTED);
  }

  /** An absolute URL or a request target (`/path?query`). */
  url(url: string): string {
    return redactUrl(url, this.queryNames, this.patterns, REDACTED);
  }

  /** A bare query string without its `?` (the `url.query` span attribute). */
  query(query: string): string {
    return redactQuery(query, this.queryNames, this.patterns, REDACTED);
  }

  /** The request as it may be stored and hashed: URL, headers and body redacted. */
  request(raw: RawRequest): RawRequest {
    const headers = this.headers(raw.headers);
    const redacted: RawRequest = { method: raw.method, url: this.url(raw.url), headers };
    if (raw.body) {
      const body = this.bodyAndText(raw.body, contentTypeOf(headers));
      redacted.body = body.bytes;
      // Handed on, so normalising the request does not decode the same body again.
      if (body.text !== undefined) redacted.bodyText = body.text;
    }
    return redacted;
  }

  /** A body; the same array when there was nothing to redact or it is not text. */
  body(bytes: Uint8Array, contentType: string | undefined): Uint8Array {
    return this.bodyAndText(bytes, contentType).bytes;
  }

  /** The redacted body, and its text when it is UTF-8 text (redacted or not). */
  private bodyAndText(bytes: Uint8Array, contentType: string | undefined): { bytes: Uint8Array; text?: string } {
    if (bytes.byteLength === 0 || (contentType && BINARY_TYPES.test(contentType.toLowerCase()))) return { bytes };
    const encoded = encodeBody(bytes);
    if (encoded.encoding !== 'utf8') return { bytes };
    const text = this.bodyText(encoded.data, contentType);
    return { bytes: text === encoded.data ? bytes : Buffer.from(text, 'utf8'), text };
  }

  /** A stored body (a recorded response, a chunk of a stream); base64 bodies are binary and kept. */
  encodedBody(body: EncodedBody, contentType: string | undefined): EncodedBody {
    if (body.encoding !== 'utf8' || (contentType && BINARY_TYPES.test(contentType.toLowerCase()))) return body;
    const text = this.bodyText(body.data, contentType);
    return text === body.data ? body : { encoding: 'utf8', data: text, size: Buffer.byteLength(text, 'utf8') };
  }

  private bodyText(text: string, contentType: string | undefined): string {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded') return this.query(text);
    const first = text.trimStart()[0];
    if (isJsonContentType(contentType) || first === '{' || first === '[' || first === '"') {
      const redacted = this.jsonText(text);
      if (redacted !== undefined) return redacted;
    }
    return this.text(text);
  }

  /** JSON re-serialised only when something was redacted (key order kept); undefined when not JSON. */
  private jsonText(text: string): string | undefined {
    // Parsing is the costly part, and most bodies hold no secret: without escapes (which could
    // hide one from a look at the raw text) and without paths to follow, a look at the text decides.
    if (this.bodyPaths.length === 0 && !text.includes('\\') && !this.patterns.test(text)) return text;
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch {
      return undefined;
    }
    if (typeof value === 'string') {
      const redacted = this.text(value);
      return redacted === value ? text : JSON.stringify(redacted);
    }
    let changed = false;
    for (const path of this.bodyPaths) if (redactJsonPath(value, path, REDACTED) > 0) changed = true;
    if (redactJsonStrings(value, (item) => this.text(item))) changed = true;
    return changed ? JSON.stringify(value) : text;
  }
}

function contentTypeOf(headers: Iterable<[string, string]>): string | undefined {
  for (const [name, value] of headers) if (name.toLowerCase() === 'content-type') return value;
  return undefined;
}
