import http from 'node:http';
import net from 'node:net';

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

/**
 * Calls back once, when the first HTTP server of the process is listening. listen() is patched on
 * net.Server's prototype (http.Server inherits it) rather than on a module's exports, so servers
 * created from ESM and CommonJS imports, by frameworks or by hand, are all seen. HTTPS servers are
 * not HTTP servers here: replay speaks plain HTTP to the app. Returns a function that unpatches.
 */
export function onFirstHttpServerListening(callback: (server: http.Server) => void): () => void {
  const original = net.Server.prototype.listen as unknown as Listen;
  let fired = false;
  const patched: Listen = function (this: net.Server, ...args: unknown[]): net.Server {
    if (!fired && this instanceof http.Server) {
      const server = this;
      server.once('listening', () => {
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
