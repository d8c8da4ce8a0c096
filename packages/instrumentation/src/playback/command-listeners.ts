import fs from 'node:fs';
import net from 'node:net';

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;

/** One listening socket of a process of the replayed command: a socket path, or a TCP address and port. */
type Listener = { path: string } | { address: string; port: number };

const IPV4_LOOPBACK = /^(::ffff:)?127(\.\d{1,3}){3}$/;

/**
 * The listener addresses a connection to `host` reaches on this machine: only loopback hosts count,
 * and a server on every interface (`::` is dual-stack) takes both families' loopback.
 */
function reachableListenerAddresses(host: string): Set<string> | undefined {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (IPV4_LOOPBACK.test(bare)) return new Set(['0.0.0.0', '::', bare.replace(/^::ffff:/, '')]);
  if (bare === '::1') return new Set(['::', '::1']);
  // localhost resolves to either family's loopback.
  if (bare === 'localhost') return new Set(['0.0.0.0', '::', '127.0.0.1', '::1']);
  return undefined;
}

/**
 * The sockets that the replayed command's own processes listen on, kept in one file every process
 * of the command appends to. A connection to one of them is traffic between the command's own
 * processes (tsx's runner and the app it starts talk over a socket in the temp dir, a supervisor
 * and its workers over a port), not a call to the outside world, so the socket guard lets it be.
 * Every other raw connection stays blocked.
 */
export class CommandListeners {
  constructor(private readonly file: string) {}

  /** Notes each server of this process once it listens; returns the undo. */
  watch(): () => void {
    const original = net.Server.prototype.listen as unknown as Listen;
    const note = (server: net.Server): void => this.note(server);
    const patched: Listen = function (this: net.Server, ...args: unknown[]): net.Server {
      this.once('listening', () => note(this));
      return original.apply(this, args);
    };
    net.Server.prototype.listen = patched as unknown as net.Server['listen'];
    return () => {
      if ((net.Server.prototype.listen as unknown) === patched) net.Server.prototype.listen = original as unknown as net.Server['listen'];
    };
  }

  /** Whether a connection to this host and port (or socket path, as host with no port) reaches the command itself. */
  has(host: string, port: number | undefined): boolean {
    const listeners = this.read();
    if (port === undefined) return listeners.some((listener) => 'path' in listener && listener.path === host);
    const reachable = reachableListenerAddresses(host);
    return reachable !== undefined && listeners.some((listener) => 'port' in listener && listener.port === port && reachable.has(listener.address));
  }

  private note(server: net.Server): void {
    const address = server.address();
    const listener: Listener | undefined = typeof address === 'string' ? { path: address } : address ? { address: address.address, port: address.port } : undefined;
    if (!listener) return;
    try {
      // One short line, one append: processes noting at once do not interleave.
      fs.appendFileSync(this.file, `${JSON.stringify(listener)}\n`);
    } catch {
      // Not noted, the connection is blocked as before: the replay reports it, nothing is lost.
    }
  }

  private read(): Listener[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const listeners: Listener[] = [];
    for (const line of text.split('\n')) {
      try {
        if (line) listeners.push(JSON.parse(line) as Listener);
      } catch {
        // A line still being written.
      }
    }
    return listeners;
  }
}
