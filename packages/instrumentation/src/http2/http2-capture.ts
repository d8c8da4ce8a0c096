import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { httpKeyRules, requestKey, Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import { outsideInterception } from '../http/outside-interception.js';
import { ResponseRecording } from '../http/response-recorder.js';
import { sharedMethodWrap } from '../shared-method-wrap.js';
import { TRACER_NAME } from '../tracer-name.js';
import type { CaptureOptions } from '../types.js';
import { authorityOf, rawRequest } from './http2-request.js';

type Connect = typeof http2.connect;
type Request = http2.ClientHttp2Session['request'];
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** A status whose response carries no body: a Response refuses one. */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * HTTP/2's capture: every request an `http2.connect` session makes is an HTTP call on the tape,
 * keyed like HTTP/1 (the door's rules, redaction and streamed-body recording are HTTP's). The
 * session's socket is made outside the socket interceptor, which would hold it for ever
 * (http2-connections.ts). The app's streams are only watched: their writes and pushes are seen on
 * the way, and no listener that changes how they flow is added. Returns the undo.
 */
export function attachHttp2Capture(registry: CaptureRegistry, options: CaptureOptions = {}): () => void {
  const redactor = new Redactor(options.redaction);
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tracer = trace.getTracer(TRACER_NAME);
  const exported = http2 as { connect: Connect };
  const originalConnect = exported.connect;

  const watch = (stream: http2.ClientHttp2Stream, authority: URL, headers: http2.OutgoingHttpHeaders): void => {
    const method = String(headers[':method'] ?? 'GET').toUpperCase();
    const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'network.protocol.version': '2' } }, context.active());
    const capture = registry.track(span, 'http');
    const sent: Buffer[] = [];
    copyingWrite.install(stream, sent);
    copyingEnd.install(stream, sent);
    let keyed = false;
    const key = (): void => {
      if (keyed) return;
      keyed = true;
      const { redacted, normalized, canonical, hash } = requestKey(rawRequest(authority, headers, Buffer.concat(sent)), redactor, keyRules);
      span.setAttribute('url.full', normalized.url);
      capture.setRequest(Promise.resolve({ inputHash: hash, request: { normalized, headers: [...redacted.headers] }, normalizedJson: canonical }));
    };
    stream.once('finish', key);
    let responded = false;
    stream.once('response', (responseHeaders) => {
      responded = true;
      key();
      const status = Number(responseHeaders[':status'] ?? 200);
      const pairs: Array<[string, string]> = [];
      for (const [name, value] of Object.entries(responseHeaders)) if (!name.startsWith(':') && value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
      span.setAttribute('http.response.status_code', status);
      const recording = new ResponseRecording({ status, statusText: '', headers: pairs }, { redactor, maxBodyBytes });
      if (NO_BODY.has(status)) recording.end();
      // What http2 hands the app is what it pushes: watch push, not 'data' (a listener would make the stream flow).
      recordingPush.install(stream, recording);
      stream.once('close', () => recording.end());
      capture.setResponse(recording);
      void recording.done.finally(() => span.end());
    });
    stream.once('close', () => {
      key();
      if (responded) return;
      capture.setResponse({ status: 0, statusText: '', headers: [], complete: true, error: `the HTTP/2 stream closed before a response (code ${stream.rstCode ?? 'unknown'})` });
      span.end();
    });
  };

  exported.connect = function connect(this: unknown, ...args: Parameters<Connect>) {
    const session = outsideInterception(() => originalConnect.apply(this, args));
    const authority = authorityOf(args[0]);
    const request = session.request.bind(session) as Request;
    session.request = ((headers?: http2.OutgoingHttpHeaders, requestOptions?: http2.ClientSessionRequestOptions) => {
      const stream = request(headers, requestOptions);
      // gRPC runs over HTTP/2 and has a door of its own, which records its calls whole; an
      // OpenTelemetry exporter's own requests run with tracing suppressed.
      const grpc = String(headers?.['content-type'] ?? '').startsWith('application/grpc');
      if (!grpc && !isTracingSuppressed(context.active())) watch(stream, authority, { ':method': 'GET', ':path': '/', ...headers });
      return stream;
    }) as Request;
    return session;
  } as Connect;
  syncBuiltinESMExports();
  return () => {
    exported.connect = originalConnect;
    syncBuiltinESMExports();
  };
}

// The request body as the app writes it, copied: the app may reuse its buffers after.
function copySent(sent: Buffer[], chunk: unknown): void {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) sent.push(Buffer.from(chunk as string));
}

const copyingWrite = sharedMethodWrap<http2.ClientHttp2Stream, Buffer[]>('write', { before: (_stream, sent, [chunk]) => copySent(sent, chunk) });
const copyingEnd = sharedMethodWrap<http2.ClientHttp2Stream, Buffer[]>('end', { before: (_stream, sent, [chunk]) => copySent(sent, chunk) });

const recordingPush = sharedMethodWrap<http2.ClientHttp2Stream, ResponseRecording>('push', {
  before: (_stream, recording, [chunk]) => {
    if (chunk === null) recording.end();
    else if (chunk instanceof Uint8Array && recording.wantsMore) recording.write(Buffer.copyBytesFrom(chunk));
  },
});
