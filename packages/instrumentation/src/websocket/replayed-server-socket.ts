import { Duplex } from 'node:stream';
import { closePayload, encodeFrame, OPCODE, WireReader, type WireEvent } from './frame-codec.js';
import { MessageInflater } from './message-inflater.js';
import type { WebSocketMessage } from './websocket-call.js';
import { DIVERGED_CLOSE_CODE, divergedReason, type ConnectionPlayer, type ReplayedConnectionSide } from './websocket-playback.js';

/**
 * The socket a replayed handshake hands the client: the server's end of the connection, played
 * from the tape. The client (`ws`) runs as it does on a real socket, framing included: what it
 * writes is read as frames (its messages go to the player, its pings are answered), and the
 * server's messages and close are written to it as frames. Nothing is connected anywhere.
 */
export class ReplayedServerSocket extends Duplex implements ReplayedConnectionSide {
  private readonly reader = new WireReader((event) => this.fromClient(event));
  private closeSent = false;
  private closeReceived = false;
  // What a client reads off a net.Socket; nobody is at the other end.
  readonly remoteAddress = undefined;
  readonly encrypted = false;

  /**
   * `compressed`: the handshake negotiated permessage-deflate again, as recorded, so the client may
   * compress what it sends (read inflated); what is written to it goes uncompressed, which the
   * extension allows message by message.
   */
  constructor(
    private readonly player: ConnectionPlayer,
    private readonly inflater: MessageInflater | undefined,
  ) {
    super();
  }

  override _read(): void {
    // Frames are pushed as the tape releases them.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.reader.push(chunk);
    callback();
  }

  deliver(message: WebSocketMessage): void {
    if (this.closeSent || this.destroyed) return;
    this.push(message.binary ? encodeFrame(OPCODE.binary, message.bytes) : encodeFrame(OPCODE.text, Buffer.from(message.text, 'utf8')));
  }

  close(code: number, reason: string, wasClean: boolean): void {
    if (this.closeSent || this.destroyed) return;
    // 1006 is no code a frame carries: the connection dropped without a closing handshake.
    if (code === 1006 || !wasClean) {
      this.destroy();
      return;
    }
    this.closeSent = true;
    this.push(encodeFrame(OPCODE.close, closePayload(code, reason)));
    if (this.closeReceived) this.push(null);
  }

  fail(error: Error): void {
    this.close(DIVERGED_CLOSE_CODE, divergedReason(error), true);
  }

  // The socket methods a client calls on its connection: nothing to tune on a connection that is not there.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  private fromClient(event: WireEvent): void {
    if (event.kind === 'message') {
      this.player.send(this.inflater ? this.inflater.message(event) : MessageInflater.plain(event));
    } else if (event.kind === 'ping') {
      if (!this.closeSent) this.push(encodeFrame(OPCODE.pong, event.payload));
    } else if (event.kind === 'close') {
      this.closeReceived = true;
      // The client answered the server's close: the closing handshake is done, end the connection.
      if (this.closeSent) this.push(null);
      else this.player.clientClose(event.code, event.reason);
    }
  }
}
