import type { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import {
  httpKeyRules,
  ModelDriftError,
  Redactor,
  ReplayDivergenceError,
  requestKey,
  TruncatedPayloadError,
  type TapeMatcher,
} from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { isInternalRequest } from './internal-traffic.js';
import { toFetchResponse } from './playback-response.js';
import { readRequest } from './request-reader.js';
import { spanForRequest } from './span-correlation.js';
import { pauseBeforeStep } from '../playback/step-breakpoint.js';
import type { PlaybackOptions } from '../types.js';

/** Playback mode: every outbound HTTP call is answered from the tape or fails; none reaches the network. */
export function attachHttpPlayback(
  interceptor: HttpRequestInterceptor,
  matcher: TapeMatcher,
  order: CompletionOrder,
  options: PlaybackOptions,
): () => void {
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const liveHosts = new Set((options.liveHosts ?? []).map((host) => host.toLowerCase()));
  const liveReadHosts = new Set((options.liveReadHosts ?? []).map((host) => host.toLowerCase()));
  // The capture's redaction, applied before hashing: a rotated key still finds its recording.
  const redactor = new Redactor(options.redaction);

  const onRequest = async ({
    request,
    controller,
  }: {
    request: Request;
    controller: { respondWith(response: Response): void; errorWith(error?: Error): void };
  }): Promise<void> => {
    if (isInternalRequest(request) || isLive(request.url, liveHosts)) return;
    if (READ_METHODS.has(request.method) && isLive(request.url, liveReadHosts)) {
      const key = requestKey(await readRequest(request), redactor, keyRules);
      const recorded = matcher.goLive(key.normalized, key.hash);
      if (recorded) order.markAnswered(recorded.step);
      return;
    }
    // Under --then-live the websocket door lets a connection the tape lacks go out: its handshake is no HTTP call.
    if (options.thenLive && request.headers.get('upgrade')?.toLowerCase() === 'websocket') return;
    let entry;
    let normalized;
    try {
      const key = requestKey(await readRequest(request), redactor, keyRules);
      normalized = key.normalized;
      const hash = key.hash;
      // The Idempotency-Key goes into the report, never into the hash: it does not change which step answers.
      const idempotencyKey = request.headers.get('idempotency-key');
      const facts = idempotencyKey !== null ? { idempotencyKey } : {};
      entry = options.thenLive ? matcher.takeOrGoLive(normalized, hash, facts) : matcher.take(normalized, hash, facts);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (failure instanceof ReplayDivergenceError || failure instanceof ModelDriftError) options.onDivergence?.(failure);
      controller.errorWith(failure);
      return;
    }
    // --then-live: the tape holds nothing for this call, so it goes out (and capture records it).
    if (!entry) return;
    if (options.onServed) {
      const span = spanForRequest(request.headers.get('traceparent'));
      options.onServed(entry, span.kind === 'span' ? span.spanId : undefined);
    }
    if (entry.step === options.breakAtStep) pauseBeforeStep(entry, normalized);
    const { response, step, request: recorded } = entry;
    await order.turn(step);
    order.markAnswered(step);
    if (response.truncated) {
      controller.errorWith(new TruncatedPayloadError(step, recorded.normalized.method, recorded.normalized.url));
    } else if (response.status === 0) {
      // The app gave up on this call itself (its AbortSignal, a timeout): let its own signal end it
      // again, so it fails with the very error it did (a TimeoutError, not a network error).
      if (abortedByCaller(response.error)) await callerAbort(request.signal, entry.durationMs + CALLER_ABORT_GRACE_MS);
      // The recorded call failed on the network; fail the same way.
      controller.errorWith(new Error(response.error ?? 'the recorded call failed before any response'));
    } else {
      controller.respondWith(toFetchResponse(response));
    }
  };

  interceptor.on('request', onRequest);
  return () => interceptor.removeListener('request', onRequest);
}

/** How long past the recorded duration a caller's own abort is waited for before failing as recorded. */
const CALLER_ABORT_GRACE_MS = 1000;

/** The messages of an abort by the caller's own signal: fetch's for a timeout signal, and for abort(). */
function abortedByCaller(error: string | undefined): boolean {
  return error !== undefined && /^(The operation was aborted due to timeout|This operation was aborted|The operation was aborted\.?)$/.test(error);
}

/** Resolves when the request's signal aborts, or after `fallbackMs` should it not (a client that passes no signal). */
function callerAbort(signal: AbortSignal, fallbackMs: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, fallbackMs);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** What a live-read host is sent for real: requests that read, by HTTP's own definition of safe. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isLive(url: string, liveHosts: ReadonlySet<string>): boolean {
  if (liveHosts.size === 0) return false;
  const { host, hostname } = new URL(url);
  return liveHosts.has(host.toLowerCase()) || liveHosts.has(hostname.toLowerCase());
}
