import type { ClientRequest } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import type { OpeningConnection } from './websocket-capture.js';

/** A WebSocket handshake a client started through node:http. */
export interface UpgradeOpening extends OpeningConnection {
  /** The `Sec-WebSocket-Key` the client sent: the server's answer must be derived from it. */
  key: string | undefined;
}

/**
 * What a door does with a handshake: `send` makes the request for real (capture does, and watches
 * it); playback answers it itself with a request object of its own.
 */
export type UpgradeHandler = (opening: UpgradeOpening, send: () => ClientRequest) => ClientRequest;

type RequestFunction = (...args: unknown[]) => ClientRequest;

/**
 * Hands every WebSocket handshake made through `http.request`/`https.request` (and `get`) to the
 * handler: what `ws` does, and the clients built on it. Other requests go through untouched. The
 * functions are looked up on the module at call time by those clients, so replacing them on the
 * module (and on its ESM named exports) reaches them. Returns the undo.
 */
export function patchUpgradeRequests(handler: UpgradeHandler): () => void {
  const undo: Array<() => void> = [];
  for (const [module, scheme] of [[http, 'ws:'], [https, 'wss:']] as const) {
    const methods = module as unknown as Record<'request' | 'get', RequestFunction>;
    for (const name of ['request', 'get'] as const) {
      const original = methods[name];
      methods[name] = function (this: unknown, ...args: unknown[]): ClientRequest {
        const opening = upgradeOf(scheme, args);
        if (!opening) return original.apply(this, args);
        let sent = false;
        const request = handler(opening, () => {
          sent = true;
          return original.apply(this, args);
        });
        // `get` ends its request: so must a request the handler made itself.
        if (name === 'get' && !sent) request.end();
        return request;
      };
      undo.push(() => void (methods[name] = original));
    }
  }
  syncBuiltinESMExports();
  return () => {
    for (const restore of undo.reverse()) restore();
    syncBuiltinESMExports();
  };
}

interface RequestOptions {
  protocol?: string | null;
  hostname?: string | null;
  host?: string | null;
  port?: number | string | null;
  path?: string | null;
  socketPath?: string;
  headers?: unknown;
}

/** The handshake in a request's arguments (`(url, options?, cb?)` or `(options, cb?)`); undefined when it is no WebSocket upgrade. */
export function upgradeOf(scheme: 'ws:' | 'wss:', args: readonly unknown[]): UpgradeOpening | undefined {
  const [first, second] = args;
  const urlGiven = typeof first === 'string' || first instanceof URL;
  const options = ((urlGiven ? second : first) ?? {}) as RequestOptions;
  // Every HTTP request of the app comes through here: look for the upgrade before reading anything else.
  if (typeof options !== 'object' || !asksForUpgrade(options.headers)) return undefined;
  const fromUrl = urlGiven ? new URL(first) : undefined;
  const headers = headerList(options.headers);
  const header = (name: string): string | undefined => headers.find(([key]) => key.toLowerCase() === name)?.[1];
  if (header('upgrade')?.toLowerCase() !== 'websocket') return undefined;
  const host = options.hostname ?? options.host ?? fromUrl?.hostname ?? 'localhost';
  const port = options.port ?? fromUrl?.port ?? '';
  const path = options.path ?? (fromUrl ? fromUrl.pathname + fromUrl.search : '/');
  const authority = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `${scheme}//${authority}${port === '' || port === null ? '' : `:${port}`}${path}`;
  const protocols = (header('sec-websocket-protocol') ?? '').split(',').map((protocol) => protocol.trim()).filter(Boolean);
  return { url, protocols, headers, key: header('sec-websocket-key') };
}

function asksForUpgrade(headers: unknown): boolean {
  if (!headers || typeof headers !== 'object') return false;
  if (Array.isArray(headers)) return headers.some((name, i) => i % 2 === 0 && String(name).toLowerCase() === 'upgrade');
  for (const name in headers) if (name.toLowerCase() === 'upgrade') return true;
  return false;
}

function headerList(headers: unknown): Array<[string, string]> {
  if (!headers || typeof headers !== 'object') return [];
  if (Array.isArray(headers)) {
    const list: Array<[string, string]> = [];
    for (let i = 0; i + 1 < headers.length; i += 2) list.push([String(headers[i]), String(headers[i + 1])]);
    return list;
  }
  return Object.entries(headers as Record<string, unknown>)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]);
}
