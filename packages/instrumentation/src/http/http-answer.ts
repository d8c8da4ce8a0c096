import {
  httpKeyRules,
  INTERNAL_REQUEST_HEADER,
  ModelDriftError,
  Redactor,
  ReplayDivergenceError,
  requestKey,
  TruncatedPayloadError,
  type NormalizedRequest,
  type RawRequest,
  type RecordedResponse,
  type RequestKey,
  type TapeMatcher,
} from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { pauseBeforeStep } from '../playback/step-breakpoint.js';
import { answerInTurn } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { spanForRequest } from './span-correlation.js';

/**
 * An outbound HTTP call as a playback door sees it, whatever caught it (the socket interceptor, or
 * the fetch dispatcher): the head at once, the body only once the tape is to answer it.
 */
export interface PlaybackRequest {
  method: string;
  url: string;
  /** A request header's value by its lower-case name, or null. */
  header(name: string): string | null;
  /** The whole request, body included; read once. */
  read(): Promise<RawRequest>;
  /** Aborts when the app gives up on the call. */
  signal: AbortSignal;
}

/** What the tape says about a call: let it go out, fail it, or answer it with the recorded response. */
export type HttpAnswer = { kind: 'pass' } | { kind: 'fail'; error: Error } | { kind: 'serve'; response: RecordedResponse };

export type HttpAnswerer = (request: PlaybackRequest) => Promise<HttpAnswer>;

const PASS: HttpAnswer = { kind: 'pass' };

/**
 * Playback's decision for one HTTP call, shared by every HTTP door: the matched step answered in
 * its recorded completion order, a divergence reported and failed, live hosts let through.
 */
export function createHttpAnswerer(matcher: TapeMatcher, order: CompletionOrder, options: PlaybackOptions): HttpAnswerer {
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const liveHosts = new Set((options.liveHosts ?? []).map((host) => host.toLowerCase()));
  const liveReadHosts = new Set((options.liveReadHosts ?? []).map((host) => host.toLowerCase()));
  // The capture's redaction, applied before hashing: a rotated key still finds its recording.
  const redactor = new Redactor(options.redaction);

  return async (request) => {
    if (request.header(INTERNAL_REQUEST_HEADER) !== null || isLive(request.url, liveHosts)) return PASS;
    // A read the recording never had an answer to (a long poll when the process ended) is not sent:
    // live, it would wait on the network instead of ending as the recording did. It is taken below
    // (under --then-live, takeOrGoLive then lets it go out, as it does every unanswered call).
    // The body is read once: a read kept from going live is taken with the key worked out here.
    let key: RequestKey<RawRequest, NormalizedRequest> | undefined;
    if (READ_METHODS.has(request.method) && isLive(request.url, liveReadHosts)) {
      key = requestKey(await request.read(), redactor, keyRules);
      if (!matcher.peek(key.hash)?.response.unanswered) {
        const recorded = matcher.goLive(key.normalized, key.hash);
        if (recorded) order.markAnswered(recorded.step);
        return PASS;
      }
    }
    // Under --then-live the websocket door lets a connection the tape lacks go out: its handshake is no HTTP call.
    if (!key && options.thenLive && request.header('upgrade')?.toLowerCase() === 'websocket') return PASS;
    let entry;
    let normalized;
    try {
      key ??= requestKey(await request.read(), redactor, keyRules);
      normalized = key.normalized;
      // The Idempotency-Key goes into the report, never into the hash: it does not change which step answers.
      const idempotencyKey = request.header('idempotency-key');
      const facts = idempotencyKey !== null ? { idempotencyKey } : {};
      entry = options.thenLive ? matcher.takeOrGoLive(normalized, key.hash, facts) : matcher.take(normalized, key.hash, facts);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (failure instanceof ReplayDivergenceError || failure instanceof ModelDriftError) options.onDivergence?.(failure);
      return { kind: 'fail', error: failure };
    }
    // --then-live: the tape holds nothing for this call, so it goes out (and capture records it).
    if (!entry) return PASS;
    if (options.onServed) {
      const span = spanForRequest(request.header('traceparent'));
      options.onServed(entry, span.kind === 'span' ? span.spanId : undefined);
    }
    if (entry.step === options.breakAtStep) pauseBeforeStep(entry, normalized);
    const { response, step, request: recorded } = entry;
    await answerInTurn(order, entry);
    if (response.truncated) {
      return { kind: 'fail', error: new TruncatedPayloadError(step, recorded.normalized.method, recorded.normalized.url) };
    }
    if (response.status === 0) {
      // The app gave up on this call itself (its AbortSignal, a timeout): let its own signal end it
      // again, so it fails with the very error it did (a TimeoutError, not a network error).
      if (abortedByCaller(response.error)) await callerAbort(request.signal, entry.durationMs + CALLER_ABORT_GRACE_MS);
      // The recorded call failed on the network; fail the same way.
      return { kind: 'fail', error: new Error(response.error ?? 'the recorded call failed before any response') };
    }
    return { kind: 'serve', response };
  };
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
