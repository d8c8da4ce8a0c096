import { Redactor, ReplayDivergenceError, requestKey, TAPE_FORMAT, TAPE_VERSION, TapeMatcher, type Tape, type TapeEntry } from '@tracetape/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient from 'ws';
import { CompletionOrder } from '../../src/playback/completion-order.js';
import { exchangeResponse, websocketKeyRules, type StepExchange, type WebSocketCall } from '../../src/websocket/websocket-call.js';
import { attachWebSocketPlayback } from '../../src/websocket/websocket-door.js';

// The door's playback in this process, on a tape made by hand: ws (with permessage-deflate
// negotiated as recorded, so the client compresses what it sends) and the global WebSocket get the
// recorded messages and close; a changed message is a divergence; a recorded refusal replays as one.
const URL_ = 'ws://replayed.test/live';
const redactor = new Redactor();
const text = (value: string) => ({ binary: false as const, text: value });

function entry(step: number, call: WebSocketCall, exchange: Omit<StepExchange, 'status' | 'statusText' | 'headers'> & Partial<StepExchange>): TapeEntry {
  const key = requestKey(call, redactor, websocketKeyRules());
  return {
    step,
    kind: 'websocket',
    spanId: step.toString(16).padStart(16, '0'),
    spanName: `websocket ${call.action}`,
    startTime: `2030-01-01T00:00:0${step}.000Z`,
    durationMs: 1,
    inputHash: key.hash,
    request: { normalized: key.normalized, headers: [] },
    response: exchangeResponse({ status: 200, statusText: '', headers: [], ...exchange }, redactor),
  };
}

const long = 'a long question that the client compresses '.repeat(5);
const tape: Tape = {
  format: TAPE_FORMAT,
  version: TAPE_VERSION,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  serviceName: 'svc',
  rootName: 'run',
  recordedAt: '2030-01-01T00:00:00.000Z',
  entries: [
    // The ws client's connection.
    entry(1, { action: 'open', url: URL_, connection: 1, protocols: [] }, {
      status: 101,
      statusText: 'Switching Protocols',
      headers: [['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits=15']],
      messages: [{ offsetMs: 1, message: text('hello') }],
    }),
    entry(2, { action: 'send', url: URL_, connection: 1, frame: 1, message: text(long) }, {
      messages: [
        { offsetMs: 1, message: text('first') },
        { offsetMs: 2, message: { binary: true, bytes: Buffer.from([1, 2, 3]) } },
      ],
      close: { code: 4000, reason: 'server done', wasClean: true, offsetMs: 3 },
    }),
    // The global WebSocket's connection.
    entry(3, { action: 'open', url: URL_, connection: 2, protocols: ['p1', 'p2'] }, {
      status: 101,
      statusText: 'Switching Protocols',
      headers: [['sec-websocket-protocol', 'p2']],
      messages: [],
    }),
    entry(4, { action: 'send', url: URL_, connection: 2, frame: 1, message: { binary: true, bytes: Buffer.from([9]) } }, {
      messages: [{ offsetMs: 1, message: { binary: true, bytes: Buffer.from([7, 7]) } }],
    }),
    entry(5, { action: 'close', url: URL_, connection: 2, frame: 2, code: 1000, reason: 'bye' }, {
      messages: [],
      close: { code: 1000, reason: 'bye', wasClean: true, offsetMs: 1 },
    }),
    // A refused connection.
    entry(6, { action: 'open', url: 'ws://refused.test/', connection: 1, protocols: [] }, { status: 0, statusText: 'no connection', messages: [], error: 'connect ECONNREFUSED 127.0.0.1:9' }),
  ],
};

const divergences: Error[] = [];
let detach: () => void;
let matcher: TapeMatcher;

beforeAll(() => {
  matcher = new TapeMatcher(tape);
  detach = attachWebSocketPlayback(matcher, new CompletionOrder(tape.entries), redactor, { tape, onDivergence: (error) => divergences.push(error) });
});
afterAll(() => detach());

type Event = string;

function converseWs(send: string): Promise<Event[]> {
  return new Promise((resolve) => {
    const events: Event[] = [];
    const socket = new WebSocketClient(URL_, { perMessageDeflate: { threshold: 0 } });
    socket.on('open', () => events.push(`open ${socket.extensions}`));
    socket.on('message', (data: Buffer, isBinary) => {
      events.push(isBinary ? `binary ${[...data].join(',')}` : `text ${data.toString()}`);
      if (data.toString() === 'hello') socket.send(send);
    });
    socket.on('error', (error) => events.push(`error ${error.message}`));
    socket.on('close', (code, reason) => {
      events.push(`close ${code} ${reason.toString()}`);
      resolve(events);
    });
  });
}

describe('WebSocket playback', () => {
  it('plays a ws connection from the tape, compressed messages included, up to the server closing it', async () => {
    expect(await converseWs(long)).toEqual(['open permessage-deflate', 'text hello', 'text first', 'binary 1,2,3', 'close 4000 server done']);
    expect(divergences).toEqual([]);
  });

  it('plays the global WebSocket: the chosen protocol, binary as a Blob, the app closing', async () => {
    const events: Event[] = [];
    const socket = new WebSocket(URL_, ['p1', 'p2']);
    await new Promise<void>((resolve) => {
      socket.addEventListener('open', () => {
        events.push(`open ${socket.protocol}`);
        socket.send(new Uint8Array([9]));
      });
      socket.addEventListener('message', (event: MessageEvent<unknown>) => {
        const data = event.data;
        events.push(data instanceof Blob ? `blob ${data.size}` : `other ${String(data)}`);
        socket.close(1000, 'bye');
      });
      socket.addEventListener('close', (event) => {
        events.push(`close ${event.code} ${event.reason}`);
        resolve();
      });
    });
    expect(events).toEqual(['open p2', 'blob 2', 'close 1000 bye']);
    expect(matcher.report().served.map((step) => step.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('replays a connection that was refused as refused', async () => {
    const events = await new Promise<Event[]>((resolve) => {
      const seen: Event[] = [];
      const socket = new WebSocketClient('ws://refused.test/');
      socket.on('error', (error) => seen.push(`error ${error.message}`));
      socket.on('close', (code) => resolve([...seen, `close ${code}`]));
    });
    expect(events).toEqual(['error connect ECONNREFUSED 127.0.0.1:9', 'close 1006']);
  });

  it('fails a connection the tape does not hold with the divergence, before it opens', async () => {
    const before = divergences.length;
    const events = await converseWs(long);
    // Connection 3 to this URL is not on the tape: the divergence names what differs from the closest.
    expect(events[0]).toMatch(/^error replay diverged at call #\d+: OPEN ws:\/\/replayed\.test\/live is not on the tape/);
    expect(events[0]).toMatch(/body\.connection\s+1\s+3/);
    expect(events.at(-1)).toBe('close 1006 ');
    expect(divergences.slice(before).map((error) => (error as ReplayDivergenceError).details.current.method)).toEqual(['OPEN']);
  });
});
