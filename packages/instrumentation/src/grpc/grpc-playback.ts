import { requestKey, type Redactor, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { isLiveHost } from '../playback/live-hosts.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { callKind, grpcKeyRules, readOutcome } from './grpc-call.js';
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
    return {
      definition,
      interceptor: () =>
        new module.InterceptingCall(
          new ReplayedGrpcCall(definition, target, async (messages) => {
            const key = requestKey({ target, path: definition.path, kind: callKind(definition), messages }, this.redactor, grpcKeyRules());
            const taken = takeStep(this.matcher, this.options, key);
            if ('error' in taken) return { code: STATUS_UNKNOWN, details: taken.error.message };
            await answerInTurn(this.order, taken.entry);
            return readOutcome(taken.entry.response);
          }),
        ),
    };
  }

  private isLive(target: string): boolean {
    const at = target.lastIndexOf(':');
    const port = Number(target.slice(at + 1));
    const host = at > 0 && Number.isInteger(port) ? target.slice(0, at) : target;
    return isLiveHost(host.replace(/^\[|\]$/g, ''), Number.isInteger(port) ? port : undefined, this.options.liveHosts ?? []);
  }
}
