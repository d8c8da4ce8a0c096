import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import { httpKeyRules, Redactor, requestKey, type TapeMatcher } from '@tracetape/core';
import { toFetchResponse } from '../http/playback-response.js';
import type { CompletionOrder } from '../playback/completion-order.js';
import { isLiveHost } from '../playback/live-hosts.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
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
      const taken = takeStep(matcher, options, { normalized, hash });
      if ('error' in taken) return taken.error;
      await answerInTurn(order, taken.entry);
      const { response } = taken.entry;
      if (response.status === 0) return new Error(response.error ?? 'the recorded HTTP/2 request failed');
      return toFetchResponse(response);
    }, listener as ((session: ReplayedHttp2Session) => void) | undefined);
    return session as unknown as http2.ClientHttp2Session;
  } as Connect;
  syncBuiltinESMExports();
  return () => {
    exported.connect = originalConnect;
    syncBuiltinESMExports();
  };
}
