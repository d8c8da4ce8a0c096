import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@tracetape/core';
import { codeOf, statusOf } from '../errors.js';
import type { RunSource } from '../run-source.js';
import { checkAccess, isLoopbackHost } from './access.js';
import { answerApi, type ClaimsSource } from './api-routes.js';
import { loadAssets, type Asset } from './static-assets.js';

export interface UiServerOptions {
  source: RunSource;
  /** Default 127.0.0.1. Any other address needs a token. */
  host?: string;
  /** Default 8273; 0 picks a free port. */
  port?: number;
  /** Required off loopback; optional on it. */
  token?: string;
  /** The built page; default the package's dist/web. */
  assetsDir?: string;
  /** The claims mapping runs are checked against, and its file (findings name it); absent: not checked. */
  claims?: ClaimsSource;
}

export interface UiServer {
  /** The address to open, with the token when there is one. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const DEFAULT_UI_PORT = 8273;

/**
 * Every payload is text to the page, and this policy makes sure of it even if one were not: no
 * inline script, no script from elsewhere, nothing framed, nothing fetched from another origin.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.token) {
    throw new ConfigError(`tracetape ui listens on ${host}, beyond this machine, only with a token: pass --token <secret> (or leave it to tracetape ui to make one).`);
  }
  const assets = loadAssets(options.assetsDir);
  const server = http.createServer((request, response) => {
    handle(request, response, options, assets).catch((error: unknown) => sendError(response, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ConfigError(`Port ${options.port ?? DEFAULT_UI_PORT} on ${host} is in use: pick another with --port.`) : error),
    );
    server.listen(options.port ?? DEFAULT_UI_PORT, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: UiServerOptions, assets: Map<string, Asset>): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  const url = new URL(request.url ?? '/', 'http://viewer.invalid');
  const access = checkAccess(request, url, options.token);
  if (!access.allowed) return sendJson(response, access.status, { error: { code: 'TRACETAPE_UI_ACCESS', message: access.message } });
  if (access.setCookie) response.setHeader('set-cookie', access.setCookie);
  if (access.redirectTo) {
    response.writeHead(303, { location: access.redirectTo }).end();
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return sendJson(response, 405, { error: { code: 'TRACETAPE_UI_READ_ONLY', message: `The viewer only reads: ${request.method} is not allowed.` } });
  }
  if (url.pathname.startsWith('/api/')) {
    response.setHeader('cache-control', 'no-store');
    return sendJson(response, 200, await answerApi(options.source, url, options.claims));
  }
  const asset = url.pathname.startsWith('/assets/') ? assets.get(url.pathname.slice('/assets/'.length)) : assets.get('index.html');
  if (!asset) return sendJson(response, 404, { error: { code: 'TRACETAPE_UI_NO_ASSET', message: `No such file: ${url.pathname}.` } });
  response.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  sendJson(response, status, { error: { code: codeOf(error), message: status === 500 && !codeOf(error).startsWith('TRACETAPE_') ? `Unexpected error: ${message}` : message } });
}
