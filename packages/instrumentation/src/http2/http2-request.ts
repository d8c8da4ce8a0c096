import type http2 from 'node:http2';
import type { RawRequest } from '@tracetape/core';

/** A session's authority as http2.connect took it (`http://host:port`, a URL, or an options object's). */
export function authorityOf(authority: unknown): URL {
  if (authority instanceof URL) return authority;
  if (typeof authority === 'string') return new URL(authority);
  const given = (authority ?? {}) as { protocol?: string; host?: string; hostname?: string; port?: number | string };
  return new URL(`${given.protocol ?? 'https:'}//${given.hostname ?? given.host ?? 'localhost'}${given.port ? `:${given.port}` : ''}`);
}

/**
 * An HTTP/2 request as the HTTP door keys HTTP/1 ones: method and URL from the pseudo-headers, the
 * other headers as sent, so a call keys the same whichever version carried it.
 */
export function rawRequest(authority: URL, headers: http2.OutgoingHttpHeaders, body: Uint8Array | undefined): RawRequest {
  const method = String(headers[':method'] ?? 'GET').toUpperCase();
  const scheme = String(headers[':scheme'] ?? authority.protocol.replace(/:$/, ''));
  const host = String(headers[':authority'] ?? authority.host);
  const path = String(headers[':path'] ?? '/');
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    pairs.push([name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)]);
  }
  return { method, url: `${scheme}://${host}${path}`, headers: pairs, ...(body && body.length > 0 ? { body } : {}) };
}

/** Whether a request with these headers sends no body (Node ends such a stream at once). */
export function endsAtOnce(headers: http2.OutgoingHttpHeaders, options: http2.ClientSessionRequestOptions | undefined): boolean {
  if (options?.endStream !== undefined) return options.endStream;
  const method = String(headers[':method'] ?? 'GET').toUpperCase();
  return method === 'GET' || method === 'HEAD' || method === 'DELETE';
}
