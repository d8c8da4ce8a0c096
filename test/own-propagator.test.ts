import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, startRecordingServer, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';

// A service whose own SDK propagates B3, behind callers and before services that speak B3 only.
// The hook registers its propagator first, and the API refused the app's: the request started a
// new trace, and its calls went out without the B3 headers the next service reads. The app's
// propagator now joins the hook's, in recording and replay.
const store = tempDir('tracetape-own-propagator-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store'), OTEL_LOG_LEVEL: undefined, OTEL_PROPAGATORS: undefined };
const APP = path.join(FIXTURES, 'b3-service-app.mjs');
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const B3_CALLER = { 'x-b3-traceid': CALLER_TRACE, 'x-b3-spanid': CALLER_SPAN, 'x-b3-sampled': '1' };

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
}
interface OtlpExport {
  resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
}

let upstream: CountingServer;
let collector: CountingServer;
let upstreamHeaders: http.IncomingHttpHeaders[] = [];
let exports: string[] = [];
let traceId: string;
let recorded: CliResult;
let answer: unknown;

function exportedSpans(): OtlpSpan[] {
  return exports.flatMap((body) => (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}

const appEnv = () => ({ ...env, UPSTREAM_URL: upstream.url, COLLECTOR_URL: collector.url });

beforeAll(async () => {
  upstream = await startCountingServer((request) => {
    upstreamHeaders.push(request.headers);
    return { body: JSON.stringify(request.url === '/fee' ? { fee: 2 } : { rate: 1.08 }) };
  });
  collector = await startCountingServer((request) => {
    exports.push(request.body);
    return { body: '{}' };
  });
  const { port, ended } = await startRecordingServer(APP, appEnv());
  answer = await (await fetch(`http://127.0.0.1:${port}/quote`, { headers: B3_CALLER })).json();
  recorded = await ended;
  expect(recorded.code, recorded.stderr).toBe(0);
  traceId = recordedTraceId(recorded.stderr);
}, 60_000);

afterAll(async () => {
  await Promise.all([upstream?.close(), collector?.close()]);
  store.remove();
});

describe('a service whose own SDK propagates B3', () => {
  it("records the request in its B3 caller's trace", () => {
    expect(answer).toEqual({ quote: { rate: 1.08 }, fee: { fee: 2 } });
    expect(traceId).toBe(CALLER_TRACE);
  });

  it("sends each call with one set of trace headers, the app's, B3 beside traceparent", () => {
    // fetch, then node:http: both traced by the app's instrumentations and by tracetape's.
    expect(upstreamHeaders).toHaveLength(2);
    const clientSpans = exportedSpans().filter((span) => span.kind === 3);
    expect(clientSpans).toHaveLength(2);
    for (const headers of upstreamHeaders) {
      expect(headers['x-b3-traceid']).toBe(CALLER_TRACE);
      expect(headers['x-b3-sampled']).toBe('1');
      // The app's client span, which its collector has, is the next service's parent.
      const spanId = headers['x-b3-spanid'] as string;
      expect(clientSpans.map((span) => span.spanId)).toContain(spanId);
      expect(headers['traceparent']).toBe(`00-${CALLER_TRACE}-${spanId}-01`);
    }
  });

  it("gives the app's collector its server span under the B3 caller's span", () => {
    const servers = exportedSpans().filter((span) => span.kind === 2);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
  });

  it('replays the request with the upstream untouched', async () => {
    upstream.reset();
    upstreamHeaders = [];
    const replayed = await tracetape(['replay', '--strict', traceId, '--', 'node', APP], appEnv());
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/inbound GET http:\/\/127\.0\.0\.1:\d+\/quote: response matched the recording \(200\)/);
    expect(upstream.count()).toBe(0);
  }, 60_000);
});
