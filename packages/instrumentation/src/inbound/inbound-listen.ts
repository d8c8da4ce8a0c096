import http from 'node:http';
import net from 'node:net';
import type { ListenError } from './inbound-errors.js';

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

/**
 * Calls back once, when the first HTTP server of the process is listening; and with the error that
 * keeps a server from listening (a port in use) until one does. listen() is patched on
 * net.Server's prototype (http.Server inherits it) rather than on a module's exports, so servers
 * created from ESM and CommonJS imports, by frameworks or by hand, are all seen. HTTPS servers are
 * not HTTP servers here: replay speaks plain HTTP to the app. Returns a function that unpatches.
 */
export function onFirstHttpServerListening(callback: (server: http.Server) => void, onListenError: (error: ListenError) => void = () => undefined): () => void {
  const original = net.Server.prototype.listen as unknown as Listen;
  let fired = false;
  const patched: Listen = function (this: net.Server, ...args: unknown[]): net.Server {
    if (!fired && this instanceof http.Server) {
      const server = this;
      // The error is seen as it is emitted, not by a listener: one would keep an app that has none
      // from crashing on it, as it does without tracetape.
      const emit = server.emit;
      const restore = (): void => {
        if (server.emit === watching) server.emit = emit;
      };
      const watching = function (this: http.Server, event: string | symbol, ...rest: unknown[]): boolean {
        if (event === 'error' && !fired) {
          restore();
          onListenError(rest[0] as ListenError);
        }
        return emit.apply(this, [event, ...rest] as Parameters<typeof emit>);
      } as typeof server.emit;
      server.emit = watching;
      server.once('listening', () => {
        restore();
        if (fired) return;
        fired = true;
        callback(server);
      });
    }
    return original.apply(this, args);
  };
  net.Server.prototype.listen = patched as unknown as net.Server['listen'];
  return () => {
    if ((net.Server.prototype.listen as unknown) === patched) net.Server.prototype.listen = original as unknown as net.Server['listen'];
  };
}
