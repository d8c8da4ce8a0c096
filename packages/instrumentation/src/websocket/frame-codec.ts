/**
 * WebSocket framing (RFC 6455 section 5), both ways: reading the frames a client and a server
 * write on an upgraded socket (masked or not, fragmented or not), and writing a server's frames.
 * Used where the door works on the socket of a node:http upgrade (the `ws` client and its kin).
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** What a side of a connection said, frame by frame reassembled into messages. */
export type WireEvent =
  | { kind: 'message'; binary: boolean; payload: Buffer; compressed: boolean }
  | { kind: 'close'; code?: number; reason: string }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'pong' };

interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/**
 * Reads one direction of a connection: bytes in, whatever arrives, and events out, in order. A
 * message split over continuation frames comes out whole; control frames between its fragments
 * come out as they arrive.
 */
export class WireReader {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmented: { binary: boolean; compressed: boolean } | undefined;

  constructor(private readonly onEvent: (event: WireEvent) => void) {}

  push(bytes: Uint8Array): void {
    this.buffered = this.buffered.length > 0 ? Buffer.concat([this.buffered, bytes]) : Buffer.from(bytes);
    for (let frame = this.next(); frame; frame = this.next()) this.frame(frame);
  }

  private frame(frame: Frame): void {
    if (frame.opcode === OPCODE.close) {
      const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
      this.onEvent({ kind: 'close', ...(code === undefined ? {} : { code }), reason: frame.payload.subarray(2).toString('utf8') });
    } else if (frame.opcode === OPCODE.ping) this.onEvent({ kind: 'ping', payload: frame.payload });
    else if (frame.opcode === OPCODE.pong) this.onEvent({ kind: 'pong' });
    else if (frame.opcode === OPCODE.text || frame.opcode === OPCODE.binary || frame.opcode === OPCODE.continuation) this.data(frame);
  }

  private data(frame: Frame): void {
    if (frame.opcode !== OPCODE.continuation) {
      this.fragmented = { binary: frame.opcode === OPCODE.binary, compressed: frame.rsv1 };
      this.fragments = [];
    }
    if (!this.fragmented) return;
    this.fragments.push(frame.payload);
    if (!frame.fin) return;
    const { binary, compressed } = this.fragmented;
    this.fragmented = undefined;
    this.onEvent({ kind: 'message', binary, compressed, payload: Buffer.concat(this.fragments) });
    this.fragments = [];
  }

  private next(): Frame | undefined {
    const bytes = this.buffered;
    if (bytes.length < 2) return undefined;
    const first = bytes[0]!;
    const second = bytes[1]!;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (bytes.length < 4) return undefined;
      length = bytes.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return undefined;
      length = Number(bytes.readBigUInt64BE(2));
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (bytes.length < offset + length) return undefined;
    const payload = Buffer.from(bytes.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= bytes[maskAt + (i & 3)]!;
    this.buffered = bytes.subarray(offset + length);
    return { fin: (first & 0x80) !== 0, rsv1: (first & 0x40) !== 0, opcode: first & 0x0f, payload };
  }
}

/** One unmasked, final frame: what a server writes. */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.byteLength;
  const head = length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (length < 126) head[1] = length;
  else if (length < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

/** A close frame's payload: the code and the reason, or nothing for 1005 (no code given). */
export function closePayload(code: number, reason: string): Buffer {
  if (code === 1005) return Buffer.alloc(0);
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason, 'utf8'));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}
