import type { SecretPatterns } from './redact-patterns.js';

/** Query parameters whose values are credentials by convention (compared case-insensitively). */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = [
  'api_key',
  'apikey',
  'token',
  'access_token',
  'key',
  'sig',
  'signature',
  'password',
  'secret',
];

/**
 * A URL with the values of the named query parameters, any user-info password, and any secret
 * shape in the path or query replaced. Parameter order and names are kept so the normalised form
 * still shows which parameters were sent; only values change. A string that is not an absolute
 * URL (a request target such as `/path?token=x`) is handled the same way.
 */
export function redactUrl(input: string, names: ReadonlySet<string>, patterns: SecretPatterns, placeholder: string): string {
  const queryAt = input.indexOf('?');
  if (queryAt < 0) return patterns.redact(input, placeholder);
  const hashAt = input.indexOf('#', queryAt);
  const head = input.slice(0, queryAt);
  const query = input.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt);
  // The fragment never leaves the client, but a URL given to us may still carry one (OAuth implicit flow tokens).
  const fragment = hashAt < 0 ? '' : input.slice(hashAt);
  return `${redactUserInfo(patterns.redact(head, placeholder), placeholder)}?${redactQuery(query, names, patterns, placeholder)}${patterns.redact(fragment, placeholder)}`;
}

/**
 * A query string with secret values replaced: bare (`a=1&token=x`, as the HTTP instrumentation's
 * `url.query`) or with its `?` (`?token=x`, as the undici instrumentation's `url.query`, which
 * would otherwise make the first parameter's name `?token` and let its value through).
 */
export function redactQuery(query: string, names: ReadonlySet<string>, patterns: SecretPatterns, placeholder: string): string {
  if (query.startsWith('?')) return `?${redactQuery(query.slice(1), names, patterns, placeholder)}`;
  if (query === '') return query;
  const encodedPlaceholder = encodeURIComponent(placeholder);
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      const rawName = part.slice(0, eq);
      const rawValue = part.slice(eq + 1);
      if (names.has(safeDecode(rawName).toLowerCase())) return `${rawName}=${encodedPlaceholder}`;
      const value = safeDecode(rawValue);
      const redacted = patterns.redact(value, placeholder);
      return redacted === value ? part : `${rawName}=${encodeURIComponent(redacted)}`;
    })
    .join('&');
}

function redactUserInfo(head: string, placeholder: string): string {
  // scheme://user:password@host — the password goes, the user name stays.
  return head.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, `$1:${encodeURIComponent(placeholder)}@`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
