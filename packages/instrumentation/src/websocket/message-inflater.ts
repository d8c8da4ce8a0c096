import zlib from 'node:zlib';
import type { WireEvent } from './frame-codec.js';
import type { WebSocketMessage } from './websocket-call.js';

/** Whether a handshake's answer negotiated permessage-deflate: then messages may arrive compressed. */
export function isCompressed(headers: ReadonlyArray<readonly [string, string]>): boolean {
  return headers.some(([name, value]) => name === 'sec-websocket-extensions' && /permessage-deflate/i.test(value));
}

/**
 * permessage-deflate (RFC 7692), one direction: messages are inflated in order through one raw
 * inflate stream, so a message that refers back to the ones before it (context takeover) reads right.
 */
export class MessageInflater {
  /** A message that arrived as it was sent. */
  static plain(event: Extract<WireEvent, { kind: 'message' }>): WebSocketMessage {
    return event.binary ? { binary: true, bytes: event.payload } : { binary: false, text: event.payload.toString('utf8') };
  }

  /** A message as it was sent: inflated when its first frame says it was compressed (messages stay in order). */
  message(event: Extract<WireEvent, { kind: 'message' }>): WebSocketMessage | Promise<WebSocketMessage> {
    if (!event.compressed) return MessageInflater.plain(event);
    return this.inflate(event.payload).then((payload) => MessageInflater.plain({ ...event, payload }));
  }

  private readonly stream = zlib.createInflateRaw({ windowBits: 15 });
  private queue: Promise<unknown> = Promise.resolve();

  private inflate(payload: Buffer): Promise<Buffer> {
    const done = this.queue.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const parts: Buffer[] = [];
          const onData = (part: Buffer): void => void parts.push(part);
          this.stream.on('data', onData);
          this.stream.once('error', reject);
          this.stream.write(Buffer.concat([payload, TRAILER]));
          this.stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.stream.off('data', onData);
            this.stream.off('error', reject);
            resolve(Buffer.concat(parts));
          });
        }),
    );
    this.queue = done.catch(() => undefined);
    return done;
  }
}

/** The four bytes a sender strips from the end of each compressed message. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
