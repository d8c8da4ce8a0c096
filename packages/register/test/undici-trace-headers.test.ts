import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepOneTraceHeader } from '../src/app-sdk/undici-trace-headers.js';

// Two subscribers of undici's request channel add their trace headers as a fetch is created, as
// tracetape's undici instrumentation and an app's own do (tracetape's first), on a real fetch to a
// real server.
const FIRST = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const SECOND = '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01';
let server: http.Server;
let url: string;
let received: string[][] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(req.rawHeaders);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Fetches with `subscribers` on the channel, and returns the trace headers the server got. */
async function traceHeadersOf(subscribers: ((request: UndiciRequest) => void)[]): Promise<string[]> {
  received = [];
  const handlers = subscribers.map((subscriber) => (message: unknown) => subscriber((message as { request: UndiciRequest }).request));
  for (const handler of handlers) diagnostics.subscribe('undici:request:create', handler);
  try {
    await (await fetch(url, { headers: { 'x-kept': 'yes' } })).text();
  } finally {
    for (const handler of handlers) diagnostics.unsubscribe('undici:request:create', handler);
  }
  const [raw] = received;
  const pairs: string[] = [];
  for (let i = 0; i < raw!.length; i += 2) if (['traceparent', 'x-b3-spanid', 'x-kept'].includes(raw![i]!.toLowerCase())) pairs.push(`${raw![i]}: ${raw![i + 1]}`);
  return pairs;
}

describe('keepOneTraceHeader', () => {
  it('lets a later tracer replace the trace headers tracetape added, so one of each is sent', async () => {
    const headers = await traceHeadersOf([
      (request) => {
        keepOneTraceHeader(request);
        request.addHeader('traceparent', FIRST);
        request.addHeader('x-b3-spanid', '00f067aa0ba902b7');
      },
      (request) => {
        request.addHeader('traceparent', SECOND);
        request.addHeader('x-b3-spanid', 'b7ad6b7169203331');
      },
    ]);
    expect(headers).toEqual(['x-kept: yes', `traceparent: ${SECOND}`, 'x-b3-spanid: b7ad6b7169203331']);
  });

  it("adds none of the trace headers the app's tracer added before tracetape's (an SDK started before the hook)", async () => {
    const headers = await traceHeadersOf([
      (request) => {
        request.addHeader('traceparent', SECOND);
        request.addHeader('x-b3-spanid', 'b7ad6b7169203331');
      },
      (request) => {
        keepOneTraceHeader(request);
        request.addHeader('traceparent', FIRST);
        request.addHeader('x-b3-spanid', '00f067aa0ba902b7');
      },
    ]);
    expect(headers).toEqual(['x-kept: yes', `traceparent: ${SECOND}`, 'x-b3-spanid: b7ad6b7169203331']);
  });

  it("sends tracetape's headers when nobody else traces the call", async () => {
    const headers = await traceHeadersOf([
      (request) => {
        keepOneTraceHeader(request);
        request.addHeader('traceparent', FIRST);
      },
    ]);
    expect(headers).toEqual(['x-kept: yes', `traceparent: ${FIRST}`]);
  });

  it('without it, both values go out, which no W3C parser accepts', async () => {
    const headers = await traceHeadersOf([(request) => request.addHeader('traceparent', FIRST), (request) => request.addHeader('traceparent', SECOND)]);
    expect(headers).toEqual(['x-kept: yes', `traceparent: ${FIRST}`, `traceparent: ${SECOND}`]);
  });
});
