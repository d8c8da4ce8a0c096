import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import { connectLive } from './live-connections.js';
import { isCompressed, MessageInflater } from './message-inflater.js';
import { ReplayedServerSocket } from './replayed-server-socket.js';
import { patchUpgradeRequests, type UpgradeOpening } from './upgrade-requests.js';
import type { ConnectionPlayer, WebSocketPlayback } from './websocket-playback.js';

/** The GUID RFC 6455 appends to the client's key to make the server's `Sec-WebSocket-Accept`. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Playback for WebSocket clients that upgrade through node:http (`ws`): the handshake never leaves
 * the process. The request the client gets is answered from the tape: with the upgrade and a
 * {@link ReplayedServerSocket} when the recorded connection opened, with the recorded HTTP answer
 * or error when it did not, and with the divergence as its error when the tape does not hold it.
 * Under --then-live a connection the tape does not hold goes out for real. Returns the undo.
 */
export function attachNodeHttpWebSocketPlayback(door: WebSocketPlayback): () => void {
  return patchUpgradeRequests((opening, send) => {
    const player = door.open(opening.url, opening.protocols);
    if ('live' in player) return connectLive(player.live, send);
    return new ReplayedHandshake(opening, player) as unknown as ClientRequest;
  });
}

/** The part of a ClientRequest a WebSocket client uses, for a handshake answered from the tape. */
class ReplayedHandshake extends EventEmitter {
  readonly method = 'GET';
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  readonly socket = null;
  aborted = false;
  destroyed = false;
  private ended = false;
  private readonly headers = new Map<string, string>();

  constructor(
    private readonly opening: UpgradeOpening,
    private readonly player: ConnectionPlayer | Error,
  ) {
    super();
    const url = new URL(opening.url);
    this.path = url.pathname + url.search;
    this.host = url.hostname;
    this.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    for (const [name, value] of opening.headers) this.headers.set(name.toLowerCase(), value);
  }

  end(): this {
    if (this.ended) return this;
    this.ended = true;
    process.nextTick(() => this.answer());
    return this;
  }

  write(): boolean {
    return true;
  }

  abort(): void {
    this.aborted = true;
    this.destroy();
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    process.nextTick(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }

  setHeader(name: string, value: unknown): this {
    this.headers.set(name.toLowerCase(), String(value));
    return this;
  }
  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }
  getHeaders(): Record<string, string> {
    return Object.fromEntries(this.headers);
  }
  getHeaderNames(): string[] {
    return [...this.headers.keys()];
  }
  hasHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): void {}
  setSocketKeepAlive(): void {}
  flushHeaders(): void {}

  private answer(): void {
    if (this.destroyed) return;
    const player = this.player;
    if (player instanceof Error) return void this.destroy(player);
    const handshake = player.handshake;
    if (handshake.status === 101) return this.upgrade(player);
    if (handshake.status === 0) return void this.destroy(new Error(handshake.error ?? 'the recorded connection failed'));
    // The server answered the handshake with something else (401, 404…): so it does again.
    const response = Object.assign(Readable.from([]), { statusCode: handshake.status, statusMessage: handshake.statusText, headers: {}, rawHeaders: [], httpVersion: '1.1' });
    this.emit('response', response);
  }

  private upgrade(player: ConnectionPlayer): void {
    const headers: Record<string, string> = { upgrade: 'websocket', connection: 'Upgrade' };
    if (this.opening.key) headers['sec-websocket-accept'] = createHash('sha1').update(this.opening.key + WEBSOCKET_GUID).digest('base64');
    // What the server chose, as it chose it: the subprotocol, and the extensions (the same offer gets the same answer).
    for (const [name, value] of player.handshake.headers) headers[name] = value;
    const response = { statusCode: 101, statusMessage: 'Switching Protocols', headers, rawHeaders: Object.entries(headers).flat(), httpVersion: '1.1' };
    const socket = new ReplayedServerSocket(player, isCompressed(player.handshake.headers) ? new MessageInflater() : undefined);
    if (!this.emit('upgrade', response, socket, Buffer.alloc(0))) {
      socket.destroy();
      return;
    }
    player.start(socket);
  }
}
