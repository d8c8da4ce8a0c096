import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { Interceptor } from '@mswjs/interceptors';
import { SocketInterceptor } from '@mswjs/interceptors/net';

export interface Http2Connection {
  host: string;
  port: number | undefined;
  /** Lets the connection out to the real server. */
  passthrough(): void;
  /** Fails the connection with `error`: nothing is sent. */
  refuse(error: Error): void;
}

type Connect = typeof http2.connect;

/**
 * Calls `onConnection` for each socket an `http2.connect` session opens. The socket interceptor of
 * @mswjs/interceptors holds every new socket until a listener decides it, and the HTTP source
 * decides on the first bytes written; but an HTTP/2 session writes through the socket's native
 * handle, so no byte is ever seen and the client would wait for ever. The sockets are told apart
 * by tagging those started while `http2.connect` runs (it connects synchronously) and those an
 * app's `createConnection` hands it. Returns the undo.
 */
export function onHttp2Connection(onConnection: (connection: Http2Connection) => void): () => void {
  const started = new WeakSet<net.Socket>();
  // Sockets the interceptor holds that no one has claimed as HTTP/2 yet: an app (grpc-js) may make
  // its socket first and hand it to http2.connect through `createConnection` afterwards.
  const held = new WeakMap<net.Socket, Http2Connection>();
  const mark = (socket: unknown): void => {
    if (!(socket instanceof net.Socket)) return;
    started.add(socket);
    const connection = held.get(socket);
    if (connection) {
      held.delete(socket);
      onConnection(connection);
    }
  };
  const exported = http2 as { connect: Connect };
  const originalConnect = exported.connect;
  exported.connect = function connect(this: unknown, ...args: Parameters<Connect>) {
    const optionsAt = typeof args[1] === 'object' && args[1] !== null ? 1 : -1;
    const given = optionsAt === 1 ? (args[1] as http2.SecureClientSessionOptions).createConnection : undefined;
    if (given) {
      const options = { ...(args[1] as http2.SecureClientSessionOptions) };
      options.createConnection = (...connectionArgs: Parameters<NonNullable<typeof given>>) => {
        const socket = given(...connectionArgs);
        mark(socket);
        return socket;
      };
      args[1] = options;
    }
    const socketConnect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...connectArgs: unknown[]) {
      mark(this);
      return (socketConnect as (...a: unknown[]) => net.Socket).apply(this, connectArgs);
    } as typeof socketConnect;
    try {
      return originalConnect.apply(this, args);
    } finally {
      net.Socket.prototype.connect = socketConnect;
    }
  } as Connect;
  syncBuiltinESMExports();

  const sockets = Interceptor.singleton(SocketInterceptor);
  const owner = {};
  sockets.apply(owner);
  const subscription = new AbortController();
  sockets.on(
    'connection',
    ({ connectionOptions, controller }) => {
      // The client's socket is the controller's own (a protected field of its class).
      const client = (controller as unknown as { socket?: net.Socket }).socket;
      if (!client) return;
      const port = connectionOptions.port === undefined || connectionOptions.port === null ? undefined : Number(connectionOptions.port);
      const pending = (): boolean => controller.readyState === 0 && !client.destroyed;
      const connection: Http2Connection = {
        host: String(connectionOptions.path || connectionOptions.host || 'localhost').toLowerCase(),
        port: Number.isFinite(port) ? port : undefined,
        passthrough: () => {
          if (pending()) controller.passthrough();
        },
        refuse: (error) => {
          if (!pending()) return;
          client.destroy(error);
          controller.claim();
        },
      };
      if (started.has(client)) onConnection(connection);
      else held.set(client, connection);
    },
    { signal: subscription.signal },
  );
  return () => {
    subscription.abort();
    sockets.dispose(owner);
    exported.connect = originalConnect;
    syncBuiltinESMExports();
  };
}

