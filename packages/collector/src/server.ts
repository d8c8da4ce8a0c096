import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpanStore } from '@tracetape/clickhouse';
import { StoreUnavailableError } from '@tracetape/core';
import { bearerTokenCheck } from './auth.js';
import { decodeJsonRequest } from './decode-json.js';
import { decodeProtobufRequest } from './decode-protobuf.js';
import { MethodNotAllowedError, NotFoundError, RejectedRequestError, UnauthorizedError, UnsupportedMediaTypeError } from './errors.js';
import { CollectorBusyError, DEFAULT_MAX_INFLIGHT_BYTES, InflightBudget } from './inflight-budget.js';
import { spanCount } from './otlp-model.js';
import { RecentBatches } from './recent-batches.js';
import { inflateGzip, readBody } from './request-body.js';
import { sendError, sendExportResponse, type OtlpEncoding } from './responses.js';
import { SpanWriter } from './span-writer.js';
import { convertRequest } from './span-rows.js';

export const TRACES_PATH = '/v1/traces';
export const DEFAULT_HOST = '127.0.0.1';
/** The OTLP/HTTP port every OpenTelemetry SDK sends to by default. */
export const DEFAULT_PORT = 4318;
/** Large enough for batches of big recorded payloads (a body may be 16 MiB, base64 grows it a third). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Senders should back off at least this long after a 503. */
const RETRY_AFTER_SECONDS = '2';
/** How long close() lets requests in progress finish before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

export interface CollectorOptions {
  store: SpanStore;
  host?: string;
  /** 0 picks a free port; the bound one is in the result's url. */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Upper bound for a request body, as sent and once inflated (default 64 MiB). */
  maxBodyBytes?: number;
  /**
   * Upper bound for the body bytes all requests in progress hold together, as sent and inflated
   * (default 256 MiB). Past it a request is answered 429 with Retry-After, which OTLP senders
   * retry; a request alone is always taken up to `maxBodyBytes`.
   */
  maxInflightBytes?: number;
  /** Payload attributes larger than this move to the payload table (default as the exporter). */
  payloadThresholdBytes?: number;
  /** Told about each request the collector answers with an error or a partial success. */
  onProblem?: (status: number, message: string) => void;
  /** How many stored requests are remembered, so that one sent again is not stored twice (default 4096). */
  rememberedBatches?: number;
}

export interface CollectorStats {
  requests: number;
  storedSpans: number;
  rejectedSpans: number;
  /** Requests answered with an error status (nothing of them stored). */
  failedRequests: number;
  /** Requests identical to one already stored (a sender retrying after a lost answer): answered, not stored again. */
  repeatedRequests: number;
}

export interface RunningCollector {
  /** Base URL, e.g. http://127.0.0.1:4318: what OTEL_EXPORTER_OTLP_ENDPOINT should say. */
  url: string;
  host: string;
  port: number;
  stats(): CollectorStats;
  /** Stops accepting, lets requests in progress finish, and waits for their writes. Leaves the store open. */
  close(): Promise<void>;
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

function contentEncodingOf(request: IncomingMessage): 'gzip' | 'identity' {
  const value = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'identity' || value === '') return 'identity';
  throw new UnsupportedMediaTypeError(`Content-Encoding "${value}"`);
}

/** Starts the OTLP/HTTP trace receiver. Resolves once it listens. */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const budget = new InflightBudget(options.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES);
  const authorized = bearerTokenCheck(options.token);
  const writer = new SpanWriter(options.store);
  const recent = new RecentBatches(options.rememberedBatches);
  const stats: CollectorStats = { requests: 0, storedSpans: 0, rejectedSpans: 0, failedRequests: 0, repeatedRequests: 0 };
  const inProgress = new Set<Promise<void>>();

  const fail = (response: ServerResponse, encoding: OtlpEncoding, status: number, message: string, headers?: Record<string, string>): void => {
    stats.failedRequests++;
    options.onProblem?.(status, message);
    sendError(response, status, encoding, message, headers);
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const encoding = encodingOf(request.headers['content-type']);
    const replyEncoding = encoding ?? 'json';
    const lease = budget.lease();
    try {
      const path = new URL(request.url ?? '/', 'http://collector').pathname;
      if (path !== TRACES_PATH) throw new NotFoundError(path);
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        throw new MethodNotAllowedError(request.method ?? '?');
      }
      if (!authorized(request.headers)) {
        response.setHeader('www-authenticate', 'Bearer');
        throw new UnauthorizedError();
      }
      if (!encoding) throw new UnsupportedMediaTypeError(`Content-Type "${request.headers['content-type'] ?? ''}"`);
      const compression = contentEncodingOf(request);
      let body = await readBody(request, maxBodyBytes, lease);
      if (compression === 'gzip') {
        const sent = body;
        body = await inflateGzip(sent, maxBodyBytes, lease);
        lease.remove(sent.length);
      }
      const decoded = encoding === 'protobuf' ? decodeProtobufRequest(body) : decodeJsonRequest(body);
      const { rows, payloads, rejected } = convertRequest(decoded, options.payloadThresholdBytes);
      const outcome = await recent.store(RecentBatches.digest(body), () => writer.write(rows, payloads));
      if (outcome === 'stored') stats.storedSpans += rows.length;
      else stats.repeatedRequests++;
      stats.rejectedSpans += rejected.count;
      const reason = rejected.count > 0 ? `${rejected.count} of ${spanCount(decoded)} spans rejected: ${rejected.reasons.join('; ')}` : '';
      if (reason) options.onProblem?.(200, reason);
      sendExportResponse(response, encoding, rejected.count, reason);
    } catch (error) {
      if (error instanceof CollectorBusyError) {
        // The rest of the body is left unread: close rather than parse it as a next request.
        response.setHeader('connection', 'close');
        fail(response, replyEncoding, 429, error.message, { 'retry-after': String(error.retryAfterSeconds) });
      } else if (error instanceof RejectedRequestError) {
        // An oversized body may be left unread: close rather than parse its rest as a next request.
        if (error.status === 413) response.setHeader('connection', 'close');
        fail(response, replyEncoding, error.status, error.message);
      } else if (error instanceof StoreUnavailableError) {
        fail(response, replyEncoding, 503, error.message, { 'retry-after': RETRY_AFTER_SECONDS });
      } else {
        fail(response, replyEncoding, 500, error instanceof Error ? error.message : String(error));
      }
    } finally {
      lease.release();
    }
  }

  const server = http.createServer((request, response) => {
    stats.requests++;
    const work = handle(request, response);
    inProgress.add(work);
    void work.finally(() => inProgress.delete(work));
  });
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    host: address.address,
    port: address.port,
    stats: () => ({ ...stats }),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        grace.unref();
        await Promise.allSettled([...inProgress]);
        await closed;
        clearTimeout(grace);
        await writer.flush();
      })();
      return closing;
    },
  };
}
