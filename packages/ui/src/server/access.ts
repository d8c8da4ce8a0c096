import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie a browser keeps the token in, once it opened the printed URL. */
export const TOKEN_COOKIE = 'tracetape_ui_token';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type AccessVerdict =
  | { allowed: true; setCookie?: string; redirectTo?: string }
  | { allowed: false; status: number; message: string };

/**
 * Who may read the runs. Without a token (loopback only), a request must name a loopback host:
 * otherwise a web page elsewhere could point its own domain at 127.0.0.1 and read the store
 * through the visitor's browser. With a token, it comes as a bearer header, the cookie, or once
 * in the printed URL's `?token=`, which is traded for the cookie and dropped from the address bar.
 */
export function checkAccess(request: IncomingMessage, url: URL, token: string | undefined): AccessVerdict {
  if (token === undefined) {
    const host = hostnameOf(request.headers.host);
    if (host !== undefined && isLoopbackHost(host)) return { allowed: true };
    return { allowed: false, status: 403, message: `This viewer answers only at a loopback address (it was asked as "${request.headers.host ?? ''}"). Open the URL tracetape ui printed.` };
  }
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null && sameToken(fromQuery, token)) {
    const clean = new URL(url);
    clean.searchParams.delete('token');
    return {
      allowed: true,
      setCookie: `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      ...(url.pathname.startsWith('/api/') ? {} : { redirectTo: clean.pathname + clean.search }),
    };
  }
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  if ((bearer !== undefined && sameToken(bearer, token)) || (cookie !== undefined && sameToken(cookie, token))) return { allowed: true };
  return { allowed: false, status: 401, message: 'This viewer needs its token: open the URL with ?token= that tracetape ui printed, or send Authorization: Bearer <token>.' };
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.replace(/:\d+$/, '');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
