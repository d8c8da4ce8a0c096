import dgram from 'node:dgram';
import type { BlockedConnection } from '@tracetape/core';
import { isLiveHost } from '../playback/live-hosts.js';
import { PlaybackConnectionBlockedError } from '../playback/playback-connection-error.js';

export interface UdpGuardOptions {
  liveHosts: readonly string[];
  /** Called once per refused datagram, before the app sees the error. */
  onBlocked: (connection: BlockedConnection, error: PlaybackConnectionBlockedError) => void;
}

type Send = dgram.Socket['send'];

/**
 * Playback's refusal of UDP: a datagram sent from a `dgram` socket fails with
 * TRACETAPE_PLAYBACK_CONNECTION_BLOCKED (through the send callback, or as the socket's 'error' when
 * there is none, as Node reports a failed send) unless its host is live. No datagram client worth
 * replaying was found (DNS has its own door), so datagrams are refused, not recorded. Returns the undo.
 */
export function attachUdpGuard(options: UdpGuardOptions): () => void {
  const prototype = dgram.Socket.prototype as { send: Send };
  const originalSend = prototype.send;
  prototype.send = function send(this: dgram.Socket, ...args: unknown[]) {
    const { port, address } = destination(this, args);
    if (isLiveHost(address, port, options.liveHosts)) return (originalSend as (...a: unknown[]) => void).apply(this, args);
    const error = new PlaybackConnectionBlockedError(address, port, 'udp');
    options.onBlocked({ host: address, ...(port === undefined ? {} : { port }), reason: 'udp' }, error);
    const callback = args.at(-1);
    process.nextTick(() => (typeof callback === 'function' ? (callback as (e: Error) => void)(error) : this.emit('error', error)));
  } as Send;
  return () => {
    prototype.send = originalSend;
  };
}

/** Where a send goes: its port and address arguments (after an offset and length, when given), or the connected peer. */
function destination(socket: dgram.Socket, args: readonly unknown[]): { port: number | undefined; address: string } {
  const rest = args.slice(1).filter((arg) => typeof arg !== 'function');
  const withRange = typeof rest[0] === 'number' && typeof rest[1] === 'number' && (typeof rest[2] === 'number' || typeof rest[2] === 'string');
  const [port, address] = withRange ? rest.slice(2) : rest;
  if (port === undefined) {
    try {
      const peer = socket.remoteAddress();
      return { port: peer.port, address: peer.address };
    } catch {
      return { port: undefined, address: 'unknown' };
    }
  }
  return { port: Number(port), address: typeof address === 'string' && address ? address.toLowerCase() : 'localhost' };
}
