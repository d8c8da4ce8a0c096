import diagnosticsChannel from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, setGlobalDispatcher } from 'undici';
import { encodeBody, ReplayDivergenceError, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';
import { PlaybackSession } from '@tracetape/instrumentation';
import { startServer, type TestServer } from '../helpers.js';
import { httpTapeEntry, tapeOf } from '../http-tape.js';

/** fetch answered at undici's dispatcher: no request reaches undici's connection pool or a socket. */

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const BIG_CHUNK_BYTES = 64 * 1024;
const BIG_CHUNKS = 48;

let canary: TestServer;
let live: TestServer;
let session: PlaybackSession | undefined;
let tape: Tape;
const abortWhenServed = new Map<number, AbortController>();

function entry(
  step: number,
  request: { method: string; path: string; headers?: Array<[string, string]>; body?: string },
  response: Partial<RecordedResponse>,
  // One call after another by default: none waits for another's answer.
  timing: { startMs?: number; durationMs?: number } = { startMs: step * 1000 },
): TapeEntry {
  return httpTapeEntry(step, { ...request, url: `${canary.url}${request.path}` }, response, timing);
}

function bigChunk(index: number): Buffer {
  return Buffer.alloc(BIG_CHUNK_BYTES, index % 256);
}

beforeAll(async () => {
  canary = await startServer((_req, res) => res.end('the network was reached'));
  live = await startServer((_req, res) => res.end('live answer'));
  // Node's fetch loads undici, and its global dispatcher, on its first call.
  await (await fetch(`${live.url}/warm-up`)).text();
  tape = tapeOf([
    entry(1, { method: 'GET', path: '/answer' }, { headers: [['content-type', 'text/plain']], body: encodeBody(Buffer.from('from the tape')) }),
    entry(2, { method: 'GET', path: '/old' }, { status: 302, statusText: 'Found', headers: [['location', '/new']] }),
    entry(3, { method: 'GET', path: '/new' }, { body: encodeBody(Buffer.from('moved here')) }),
    entry(4, { method: 'POST', path: '/upload', headers: [['content-type', 'application/octet-stream']], body: 'streamed body' }, {
      status: 201,
      statusText: 'Created',
    }),
    entry(5, { method: 'GET', path: '/big' }, {
      headers: [['content-type', 'application/octet-stream']],
      chunks: Array.from({ length: BIG_CHUNKS }, (_, i) => ({ offsetMs: i, body: encodeBody(bigChunk(i)) })),
    }),
    // Two calls in flight together: /slow finished last, so its answer waits for /fast's.
    entry(6, { method: 'GET', path: '/slow' }, { body: encodeBody(Buffer.from('slow')) }, { startMs: 10_000, durationMs: 50 }),
    entry(7, { method: 'GET', path: '/fast' }, { body: encodeBody(Buffer.from('fast')) }, { startMs: 10_000, durationMs: 5 }),
    entry(8, { method: 'GET', path: '/after-app-dispatcher' }, { body: encodeBody(Buffer.from('still the tape')) }, { startMs: 20_000 }),
  ]);
  session = new PlaybackSession({
    tape,
    liveHosts: [live.host],
    onServed: (served) => {
      const controller = abortWhenServed.get(served.step);
      if (controller) queueMicrotask(() => controller.abort());
    },
  });
});

afterAll(async () => {
  session?.dispose();
  await canary?.close();
  await live?.close();
});

/** The requests undici's connection pool was handed while `run` ran. */
async function undiciRequestsDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onCreate = (message: unknown): void => {
    const { request } = message as { request: { method: string; path: string } };
    seen.push(`${request.method} ${request.path}`);
  };
  diagnosticsChannel.subscribe('undici:request:create', onCreate);
  try {
    await run();
  } finally {
    diagnosticsChannel.unsubscribe('undici:request:create', onCreate);
  }
  return seen;
}

/**
 * Counts the body chunks the door hands to fetch's response handler for requests to `path`, by
 * putting a wrapper of the door in its place until `stop()`.
 */
function countChunksHandedToFetch(path: string): { (): number; stop(): void } {
  type Handler = { onData(chunk: Buffer): boolean };
  type Door = { dispatch(options: { path: string }, handler: Handler): boolean };
  const slots = globalThis as unknown as Record<symbol, Door>;
  const door = slots[GLOBAL_DISPATCHER]!;
  let chunks = 0;
  const counting = (options: { path: string }, handler: Handler): boolean => {
    if (options.path === path) {
      const onData = handler.onData;
      handler.onData = (chunk) => {
        chunks += 1;
        return onData.call(handler, chunk);
      };
    }
    return door.dispatch(options, handler);
  };
  slots[GLOBAL_DISPATCHER] = new Proxy(door, { get: (target, property) => (property === 'dispatch' ? counting : Reflect.get(target, property)) });
  return Object.assign(() => chunks, { stop: () => void (slots[GLOBAL_DISPATCHER] = door) });
}

describe('fetch playback at the dispatcher', () => {
  it('answers fetch before undici makes a request of it, and lets a live host through to undici', async () => {
    let served = '';
    const pooled = await undiciRequestsDuring(async () => {
      served = await (await fetch(`${canary.url}/answer`)).text();
      expect(await (await fetch(`${live.url}/through`)).text()).toBe('live answer');
    });
    expect(served).toBe('from the tape');
    expect(pooled).toEqual(['GET /through']);
  });

  it('follows a recorded redirect the way fetch does live', async () => {
    const res = await fetch(`${canary.url}/old`);
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${canary.url}/new`);
    expect(await res.text()).toBe('moved here');
  });

  it('matches a request whose body is a stream by its bytes', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Buffer.from('streamed '));
        controller.enqueue(Buffer.from('body'));
        controller.close();
      },
    });
    const res = await fetch(`${canary.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
  });

  it('pauses the tape while the app does not read, and delivers the body whole and in order once it does', async () => {
    const delivered = countChunksHandedToFetch('/big');
    try {
      const reader = (await fetch(`${canary.url}/big`)).body!.getReader();
      const first = await reader.read();
      // Turns enough for the door to hand over every chunk (it hands one a turn) were it not
      // waiting for fetch to ask for more: fetch's stream buffers a few, then says stop.
      for (let turn = 0; turn < 2 * BIG_CHUNKS; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(delivered()).toBeGreaterThan(0);
      expect(delivered()).toBeLessThan(BIG_CHUNKS / 2);
      const parts: Buffer[] = [Buffer.from(first.value!)];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(Buffer.from(value));
      }
      const expected = Buffer.concat(Array.from({ length: BIG_CHUNKS }, (_, i) => bigChunk(i)));
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
      expect(delivered()).toBe(BIG_CHUNKS);
    } finally {
      delivered.stop();
    }
  });

  it("ends a call waiting for its turn when the app aborts it, with fetch's own AbortError", async () => {
    const controller = new AbortController();
    abortWhenServed.set(6, controller);
    const error = await fetch(`${canary.url}/slow`, { signal: controller.signal }).then(
      () => new Error('expected the aborted call to fail'),
      (failure: unknown) => failure as Error,
    );
    expect(error.name).toBe('AbortError');
    expect(await (await fetch(`${canary.url}/fast`)).text()).toBe('fast');
  });

  it('fails a call the tape lacks as fetch fails live: a TypeError whose cause is the divergence', async () => {
    const error = await fetch(`${canary.url}/not-recorded`).then(
      () => new Error('expected the call to fail'),
      (failure: unknown) => failure as Error & { cause?: unknown },
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause).toBeInstanceOf(ReplayDivergenceError);
  });

  it("still answers from the tape, at the socket, once the app sets its own global dispatcher", async () => {
    const own = new Agent();
    setGlobalDispatcher(own);
    try {
      expect(await (await fetch(`${canary.url}/after-app-dispatcher`)).text()).toBe('still the tape');
    } finally {
      await own.close();
    }
  });

  it('reached no server that is not live', () => {
    expect(canary.connections).toBe(0);
    expect(canary.requests).toEqual([]);
  });
});

describe('fetch playback at the dispatcher, disposed', () => {
  it('leaves a global dispatcher the app set meanwhile, and otherwise puts back the one it found', () => {
    const global = globalThis as Record<symbol, unknown>;
    const setByApp = global[GLOBAL_DISPATCHER];
    session!.dispose();
    session = undefined;
    expect(global[GLOBAL_DISPATCHER]).toBe(setByApp);

    const again = new PlaybackSession({ tape });
    expect(global[GLOBAL_DISPATCHER]).not.toBe(setByApp);
    again.dispose();
    expect(global[GLOBAL_DISPATCHER]).toBe(setByApp);
  });
});
