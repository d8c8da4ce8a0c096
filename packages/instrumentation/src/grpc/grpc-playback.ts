import { canonicalJson, requestKey, type NormalizedRequest, type Redactor, type TapeMatcher } from '@tracetape/core';
import type { EncodedValue } from '../database/value-codec.js';
import type { CompletionOrder } from '../playback/completion-order.js';
import { isLiveHost } from '../playback/live-hosts.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { callKind, grpcKeyRules, readOutcome, sentMessages, type GrpcOutcome } from './grpc-call.js';
import type { GrpcCallHooks, GrpcDoor } from './grpc-door.js';
import type { GrpcInterceptorsModule, GrpcMethodDefinition } from './grpc-types.js';
import { ReplayedGrpcCall } from './replayed-grpc-call.js';

/** gRPC's UNKNOWN: a divergence is no status the server chose. */
const STATUS_UNKNOWN = 2;

/**
 * The gRPC door's playback: a client call is answered from the tape below the app's interceptors,
 * and no channel connects. A call the tape does not hold ends with status UNKNOWN and the
 * divergence as its details, and fails the replay. A call to a live host (`--live-host`) goes out;
 * `--then-live` does not send an off-tape call out (it is a divergence).
 */
export class GrpcPlayback implements GrpcDoor {
  /** Steps this door has answered: a bidirectional stream's preview looks only at the others. */
  private readonly answered = new Set<number>();

  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly options: PlaybackOptions,
  ) {}

  forCall(definition: GrpcMethodDefinition, target: string, module: GrpcInterceptorsModule): GrpcCallHooks {
    // A live host's calls go out as they are (the channel's sockets are made outside the socket
    // interceptor, see grpc-instrumentation.ts).
    if (this.isLive(target)) return { definition, interceptor: (options, nextCall) => nextCall(options) };
    const kind = callKind(definition);
    const keyOf = (messages: EncodedValue[]) => requestKey({ target, path: definition.path, kind, messages }, this.redactor, grpcKeyRules());
    const answer = async (messages: EncodedValue[]): Promise<GrpcOutcome | { code: number; details: string }> => {
      const taken = takeStep(this.matcher, this.options, keyOf(messages));
      if ('error' in taken) return { code: STATUS_UNKNOWN, details: taken.error.message };
      this.answered.add(taken.entry.step);
      await answerInTurn(this.order, taken.entry);
      return readOutcome(taken.entry.response);
    };
    const preview = kind === 'bidi_stream' ? (messages: EncodedValue[]) => this.preview(keyOf(messages).normalized) : undefined;
    return { definition, interceptor: () => new module.InterceptingCall(new ReplayedGrpcCall(definition, target, answer, preview)) };
  }

  /**
   * The recorded bidirectional call, not answered yet, whose messages begin with the ones sent so
   * far (in tape order): its replies can be released before the app ends its side.
   */
  private preview(current: NormalizedRequest): GrpcOutcome | undefined {
    const sent = sentMessages(current).map((message) => canonicalJson(message));
    const entry = this.options.tape.entries.find((candidate) => {
      if (candidate.kind !== 'grpc' || this.answered.has(candidate.step)) return false;
      const { method, url } = candidate.request.normalized;
      if (method !== current.method || url !== current.url) return false;
      const recorded = sentMessages(candidate.request.normalized);
      return recorded.length >= sent.length && sent.every((message, i) => canonicalJson(recorded[i]) === message);
    });
    return entry ? readOutcome(entry.response) : undefined;
  }

  private isLive(target: string): boolean {
    const at = target.lastIndexOf(':');
    const port = Number(target.slice(at + 1));
    const host = at > 0 && Number.isInteger(port) ? target.slice(0, at) : target;
    return isLiveHost(host.replace(/^\[|\]$/g, ''), Number.isInteger(port) ? port : undefined, this.options.liveHosts ?? []);
  }
}
