import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { closePayload, encodeFrame, OPCODE, WireReader, type WireEvent } from '../../src/websocket/frame-codec.js';
import { MessageInflater } from '../../src/websocket/message-inflater.js';

/** A frame as a client writes it: masked. */
function maskedFrame(opcode: number, payload: Buffer, fin = true, rsv1 = false): Buffer {
  const unmasked = encodeFrame(opcode, payload);
  const headLength = unmasked.length - payload.length;
  const head = Buffer.from(unmasked.subarray(0, headLength));
  if (!fin) head[0]! &= 0x7f;
  if (rsv1) head[0]! |= 0x40;
  head[1]! |= 0x80;
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i & 3]!));
  return Buffer.concat([head, mask, body]);
}

function read(bytes: Buffer[]): WireEvent[] {
  const events: WireEvent[] = [];
  const reader = new WireReader((event) => events.push(event));
  for (const part of bytes) reader.push(part);
  return events;
}

describe('WireReader', () => {
  it('reads server frames and masked client frames, text and binary, at every length encoding', () => {
    const long = Buffer.alloc(70_000, 7);
    const medium = Buffer.alloc(300, 1);
    const events = read([encodeFrame(OPCODE.text, Buffer.from('héllo')), maskedFrame(OPCODE.binary, medium), maskedFrame(OPCODE.binary, long)]);
    expect(events).toEqual([
      { kind: 'message', binary: false, compressed: false, payload: Buffer.from('héllo') },
      { kind: 'message', binary: true, compressed: false, payload: medium },
      { kind: 'message', binary: true, compressed: false, payload: long },
    ]);
  });

  it('reads frames split anywhere across writes, and reassembles a fragmented message around a ping', () => {
    const bytes = Buffer.concat([
      maskedFrame(OPCODE.text, Buffer.from('hel'), false),
      maskedFrame(OPCODE.ping, Buffer.from('p')),
      maskedFrame(OPCODE.continuation, Buffer.from('lo')),
      encodeFrame(OPCODE.close, closePayload(4001, 'bye')),
    ]);
    const pieces = [...bytes].map((byte) => Buffer.from([byte]));
    expect(read(pieces)).toEqual([
      { kind: 'ping', payload: Buffer.from('p') },
      { kind: 'message', binary: false, compressed: false, payload: Buffer.from('hello') },
      { kind: 'close', code: 4001, reason: 'bye' },
    ]);
  });

  it('reads a close without a code as one without a code (1005)', () => {
    expect(read([encodeFrame(OPCODE.close, closePayload(1005, ''))])).toEqual([{ kind: 'close', reason: '' }]);
  });
});

describe('MessageInflater', () => {
  it('inflates permessage-deflate messages in order, each referring back to the ones before (context takeover)', async () => {
    const deflater = zlib.createDeflateRaw();
    const compress = (text: string): Promise<Buffer> =>
      new Promise((resolve) => {
        const parts: Buffer[] = [];
        const onData = (part: Buffer): void => void parts.push(part);
        deflater.on('data', onData);
        deflater.write(text);
        deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          deflater.off('data', onData);
          const all = Buffer.concat(parts);
          resolve(all.subarray(0, all.length - 4));
        });
      });
    const first = await compress('the same words, the same words');
    const second = await compress('the same words, the same words, again');
    const inflater = new MessageInflater();
    const messages = await Promise.all(
      [first, second].map((payload) => inflater.message({ kind: 'message', binary: false, compressed: true, payload })),
    );
    expect(messages).toEqual([
      { binary: false, text: 'the same words, the same words' },
      { binary: false, text: 'the same words, the same words, again' },
    ]);
    expect(inflater.message({ kind: 'message', binary: true, compressed: false, payload: Buffer.from([1]) })).toEqual({ binary: true, bytes: Buffer.from([1]) });
  });
});
