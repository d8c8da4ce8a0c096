import { METHODS } from 'node:http';
import type { Socket } from 'node:net';
import { Interceptor } from '@mswjs/interceptors';
import { SocketInterceptor } from '@mswjs/interceptors/net';
import type { BlockedConnection } from '@tracetape/core';
import { isLiveHost } from './live-hosts.js';
import { PlaybackConnectionBlockedError, type BlockedConnectionReason } from './playback-connection-error.js';

export interface SocketGuardOptions {
  /** Hosts (`host` or `host:port`) the user marked live: their connections go out whatever they speak. */
  liveHosts: readonly string[];
  /** Called once per refused connection, before the client sees the error. */
  onBlocked: (connection: BlockedConnection, error: PlaybackConnectionBlockedError) => void;
  /** Whether the destination is a socket the replayed command's own processes listen on. */
  isCommandListener?: (host: string, port: number | undefined) => boolean;
}

interface ConnectionOptions {
  host?: string | null;
  port?: number | string | null;
  path?: string | null;
}

const HTTP_METHODS = new Set(METHODS);

/**
 * Playback's last line: a socket the HTTP playback does not own (another protocol, or a client
 * waiting for the server to speak first) is passed through to the network by the HTTP source of
 * @mswjs/interceptors. The guard sits on the same socket interceptor and turns exactly that
 * passthrough into an error, unless the host is live. Hooking the passthrough itself, instead of
 * racing the source's setImmediate with one of our own, leaves no timing window.
 * An HTTP connection is left alone: the HTTP playback answers it, blocks it, or lets it out only
 * for tracetape's own traffic, a live host or `--then-live`.
 */
export function attachSocketGuard(options: SocketGuardOptions): () => void {
  const sockets = Interceptor.singleton(SocketInterceptor);
  const owner = {};
  sockets.apply(owner);
  const liveHosts = new Set(options.liveHosts.map((host) => host.toLowerCase()));

  const subscription = new AbortController();
  sockets.on('connection', ({ socket, connectionOptions, controller }) => {
    const { host, port } = target(connectionOptions);
    if (isLiveHost(host, port, liveHosts) || options.isCommandListener?.(host, port)) return;
    const realPassthrough = controller.passthrough.bind(controller) as (...args: unknown[]) => unknown;
    controller.passthrough = ((...args: unknown[]) => {
      // What would go out first is what the client wrote so far. The HTTP source parses every write
      // before it decides, so a connection whose first bytes are an HTTP request got its verdict from
      // the HTTP playback (tracetape's own traffic, or --then-live), and it stands.
      const firstBytes = pendingBytes(socket);
      if (firstBytes !== undefined && startsWithHttpMethod(firstBytes)) return realPassthrough(...args);
      const reason: BlockedConnectionReason = firstBytes === undefined ? 'server-speaks-first' : 'not-http';
      const error = new PlaybackConnectionBlockedError(host, port, reason);
      options.onBlocked({ host, ...(port === undefined ? {} : { port }), reason }, error);
      // Destroyed first, so claiming it starts no mocked connection: the client only sees the error.
      socket.destroy(error);
      controller.claim();
      return undefined;
    }) as typeof controller.passthrough;
  }, { signal: subscription.signal });

  return () => {
    subscription.abort();
    sockets.dispose(owner);
  };
}

/** The bytes the client wrote before the connection was decided (held back by the socket controller). */
function pendingBytes(socket: Socket): Buffer | undefined {
  const pending: unknown = socket._pendingData;
  const pieces = (Array.isArray(pending) ? pending : pending ? [pending] : []) as Array<unknown>;
  const chunks = pieces
    .map((piece) => (piece !== null && typeof piece === 'object' && 'chunk' in piece ? piece.chunk : piece))
    .filter((chunk): chunk is string | Uint8Array => typeof chunk === 'string' || chunk instanceof Uint8Array)
    .map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk)));
  const bytes = Buffer.concat(chunks);
  return bytes.length > 0 ? bytes : undefined;
}

function startsWithHttpMethod(bytes: Buffer): boolean {
  const method = bytes.toString('latin1', 0, Math.min(bytes.length, 24)).split(' ')[0] ?? '';
  return HTTP_METHODS.has(method.toUpperCase());
}

function target(options: ConnectionOptions): { host: string; port: number | undefined } {
  if (options.path) return { host: options.path, port: undefined };
  const port = options.port === undefined || options.port === null || options.port === '' ? undefined : Number(options.port);
  return { host: (options.host || 'localhost').toLowerCase(), port: Number.isFinite(port) ? port : undefined };
}

