import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBody, ReplayDivergenceError, TruncatedPayloadError, type RecordedResponse, type TapeEntry } from '@tracetape/core';
import { PlaybackSession } from '@tracetape/instrumentation';
import { httpRequest, startServer, type TestServer } from './helpers.js';
import { httpTapeEntry, tapeOf } from './http-tape.js';

let canary: TestServer;
let live: TestServer;
let session: PlaybackSession;
const divergences: Error[] = [];

const JSON_HEADERS: Array<[string, string]> = [['content-type', 'application/json']];
const SSE_EVENTS = ['data: {"delta":"Hel"}\n\n', 'data: {"delta":"lo"}\n\n', 'data: [DONE]\n\n'];
const GZIPPED_TEXT = 'compress me '.repeat(200);

function entry(
  step: number,
  request: { method: string; url: string; headers?: Array<[string, string]>; body?: string },
  response: Partial<RecordedResponse>,
): TapeEntry {
  return httpTapeEntry(step, request, response);
}

const url = (path: string) => `${canary.url}${path}`;

beforeAll(async () => {
  canary = await startServer((_req, res) => res.end('the network was reached'));
  live = await startServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('live answer');
  });
  const tape = tapeOf([
    entry(1, { method: 'GET', url: url('/v1/models?limit=2') }, {
      status: 203,
      statusText: 'Non-Authoritative Information',
      headers: [
        ['content-type', 'application/json'],
        ['x-recorded', 'yes'],
        ['content-length', '999'],
      ],
      body: encodeBody(Buffer.from('{"models":["a","b"]}')),
    }),
    entry(2, { method: 'POST', url: url('/v1/chat'), headers: JSON_HEADERS, body: '{"prompt":"hi","n":1}' }, {
      status: 201,
      statusText: 'Created',
      headers: JSON_HEADERS,
      body: encodeBody(Buffer.from('{"answer":"hello"}')),
    }),
    entry(3, { method: 'GET', url: url('/stream') }, {
      headers: [['content-type', 'text/event-stream']],
      chunks: SSE_EVENTS.map((event, i) => ({ offsetMs: i * 10, body: encodeBody(Buffer.from(event)) })),
    }),
    entry(4, { method: 'GET', url: url('/gzip') }, {
      headers: [
        ['content-type', 'text/plain'],
        ['content-encoding', 'gzip'],
        ['content-length', '57'],
      ],
      contentEncoding: 'gzip',
      body: encodeBody(Buffer.from(GZIPPED_TEXT)),
    }),
    entry(5, { method: 'GET', url: url('/truncated') }, {
      headers: [['content-type', 'text/plain']],
      body: encodeBody(Buffer.from('cut o')),
      truncated: true,
      complete: false,
    }),
    entry(6, { method: 'GET', url: url('/binary') }, {
      headers: [['content-type', 'application/octet-stream']],
      body: encodeBody(Buffer.from([0xff, 0x00, 0xfe, 0x80])),
    }),
    entry(7, { method: 'GET', url: url('/netfail') }, { status: 0, statusText: '', error: 'connect ECONNREFUSED' }),
    entry(8, { method: 'GET', url: url('/v1/models?limit=2') }, {
      headers: JSON_HEADERS,
      body: encodeBody(Buffer.from('{"models":["second"]}')),
    }),
    entry(9, { method: 'GET', url: url('/stream-node') }, {
      headers: [['content-type', 'text/event-stream']],
      chunks: SSE_EVENTS.map((event, i) => ({ offsetMs: i * 10, body: encodeBody(Buffer.from(event)) })),
    }),
    entry(10, { method: 'GET', url: url('/gzip-node') }, {
      headers: [['content-type', 'text/plain'], ['content-encoding', 'gzip']],
      contentEncoding: 'gzip',
      body: encodeBody(Buffer.from(GZIPPED_TEXT)),
    }),
  ]);
  session = new PlaybackSession({ tape, liveHosts: [live.host], onDivergence: (error) => divergences.push(error) });
});

afterAll(async () => {
  session?.dispose();
  await canary?.close();
  await live?.close();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('PlaybackSession', () => {
  it('answers fetch from the tape with the recorded status, headers and body', async () => {
    const res = await fetch(url('/v1/models?limit=2'));
    expect(res.status).toBe(203);
    expect(res.statusText).toBe('Non-Authoritative Information');
    expect(res.headers.get('x-recorded')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ models: ['a', 'b'] });
    // The identical repeat gets the second recording of the same request.
    const again = await fetch(url('/v1/models?limit=2'));
    expect(await again.json()).toEqual({ models: ['second'] });
  });

  it('answers http.request from the tape, matching a JSON body regardless of key order', async () => {
    const res = await httpRequest(
      url('/v1/chat'),
      { method: 'POST', headers: { 'Content-Type': 'application/json', authorization: 'Bearer other-key' } },
      '{ "n": 1, "prompt": "hi" }',
    );
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString())).toEqual({ answer: 'hello' });
  });

  it('serves binary bodies byte for byte', async () => {
    const res = await fetch(url('/binary'));
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x80]));
  });

  it('fails an unrecorded request with a ReplayDivergenceError and reports it blocked', async () => {
    const before = divergences.length;
    const error = await rejection(
      fetch(url('/v1/chat'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"bye","n":1}' }),
    );
    const cause = (error as Error & { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(ReplayDivergenceError);
    const divergence = cause as ReplayDivergenceError;
    expect(divergence.details.reason).toBe('not-recorded');
    expect(divergence.details.closestStep).toBe(2);
    expect(divergence.details.diff).toEqual([{ path: 'body.prompt', recorded: '"hi"', current: '"bye"' }]);
    expect(divergences.length).toBe(before + 1);
    expect(divergences.at(-1)).toBe(divergence);

    const blocked = session.report().blocked;
    expect(blocked).toContainEqual(
      expect.objectContaining({ method: 'POST', url: url('/v1/chat'), reason: 'not-recorded', closestStep: 2 }),
    );
  });

  it('fails an unrecorded http.request too', async () => {
    const error = await rejection(httpRequest(url('/not/on/tape')));
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect(session.report().blocked).toContainEqual(expect.objectContaining({ method: 'GET', url: url('/not/on/tape') }));
  });

  it('delivers a recorded SSE stream to fetch as separate chunks', async () => {
    const res = await fetch(url('/stream'));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const received: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(Buffer.from(value).toString());
    }
    expect(received.join('')).toBe(SSE_EVENTS.join(''));
    expect(received).toEqual(SSE_EVENTS);
  });

  it('delivers a recorded SSE stream to http.request as separate chunks', async () => {
    const res = await httpRequest(url('/stream-node'));
    expect(res.body.toString()).toBe(SSE_EVENTS.join(''));
    expect(res.chunks.map(String)).toEqual(SSE_EVENTS);
  });

  it('hands fetch a gzip-recorded body decoded', async () => {
    const res = await fetch(url('/gzip'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(GZIPPED_TEXT);
  });

  it('re-encodes a gzip-recorded body for a client that decodes by itself, with a matching header', async () => {
    const res = await httpRequest(url('/gzip-node'));
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(GZIPPED_TEXT);
  });

  it('refuses to replay a truncated recording', async () => {
    const error = await rejection(fetch(url('/truncated')));
    const cause = (error as Error & { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(TruncatedPayloadError);
    expect((cause as TruncatedPayloadError).code).toBe('TRACETAPE_PAYLOAD_TRUNCATED');
    expect((cause as Error).message).toContain('Step 5');
  });

  it('fails a call that failed on the network when recorded', async () => {
    const error = await rejection(fetch(url('/netfail')));
    expect(String((error as Error & { cause?: Error }).cause?.message)).toContain('ECONNREFUSED');
  });

  it('lets a liveHosts host through to the real server', async () => {
    const res = await fetch(`${live.url}/anything?x=1`);
    expect(await res.text()).toBe('live answer');
    expect(live.requests).toContain('GET /anything?x=1');
  });

  it('never reached the network for a host that is not live, and reports what it served', () => {
    expect(canary.connections).toBe(0);
    expect(canary.requests).toEqual([]);
    const report = session.report();
    expect(report.served.map((s) => s.step).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(report.unconsumed).toEqual([]);
    expect(report.sideEffectsSuppressed.map((s) => s.step)).toEqual([2]);
    // The live call is not the tape's business.
    expect(report.served.some((s) => s.url.startsWith(live.url))).toBe(false);
  });
});
