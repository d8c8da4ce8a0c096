import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import { httpKeyRules, ModelDriftError, Redactor, ReplayDivergenceError, requestKey, type TapeMatcher } from '@tracetape/core';
import { toFetchResponse } from '../http/playback-response.js';
import type { CompletionOrder } from '../playback/completion-order.js';
import { isLiveHost } from '../playback/live-hosts.js';
import { pauseBeforeStep } from '../playback/step-breakpoint.js';
import type { PlaybackOptions } from '../types.js';
import { authorityOf } from './http2-request.js';
import { ReplayedHttp2Session } from './replayed-http2-session.js';

type Connect = typeof http2.connect;

/**
 * HTTP/2's playback: `http2.connect` gives a session answered from the tape (HTTP's keys, so a call
 * recorded over HTTP/2 is found as HTTP/1's are) and no socket; a request off the tape fails its
 * stream with the divergence. A live host's session is the real one. Returns the undo.
 */
export function attachHttp2Playback(matcher: TapeMatcher, order: CompletionOrder, options: PlaybackOptions): () => void {
  const redactor = new Redactor(options.redaction);
  const keyRules = httpKeyRules(options.hashHeaders ? { hashHeaders: options.hashHeaders } : {});
  const exported = http2 as { connect: Connect };
  const originalConnect = exported.connect;
  exported.connect = function connect(this: unknown, ...args: Parameters<Connect>) {
    const authority = authorityOf(args[0]);
    const port = authority.port ? Number(authority.port) : authority.protocol === 'https:' ? 443 : 80;
    if (options.thenLive || isLiveHost(authority.hostname, port, options.liveHosts ?? [])) return originalConnect.apply(this, args);
    const listener = args.find((arg): arg is (session: http2.ClientHttp2Session) => void => typeof arg === 'function');
    const session = new ReplayedHttp2Session(authority, async (raw) => {
      const { normalized, hash } = requestKey(raw, redactor, keyRules);
      let entry;
      try {
        entry = matcher.take(normalized, hash);
      } catch (error) {
        if (error instanceof ReplayDivergenceError || error instanceof ModelDriftError) options.onDivergence?.(error);
        return error instanceof Error ? error : new Error(String(error));
      }
      options.onServed?.(entry, undefined);
      if (entry.step === options.breakAtStep) pauseBeforeStep(entry, normalized);
      await order.turn(entry.step);
      order.markAnswered(entry.step);
      if (entry.response.status === 0) return new Error(entry.response.error ?? 'the recorded HTTP/2 request failed');
      return toFetchResponse(entry.response);
    }, listener as ((session: ReplayedHttp2Session) => void) | undefined);
    return session as unknown as http2.ClientHttp2Session;
  } as Connect;
  syncBuiltinESMExports();
  return () => {
    exported.connect = originalConnect;
    syncBuiltinESMExports();
  };
}
