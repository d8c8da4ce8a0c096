import type { EncodedValue } from '../database/value-codec.js';
import { encodeMessage, toMetadata, type GrpcOutcome } from './grpc-call.js';
import type { GrpcCall, GrpcListener, GrpcMessageContext, GrpcMetadata, GrpcMethodDefinition } from './grpc-types.js';

/** How a replayed call gets its answer once the app has sent everything: the outcome, or the failure to deliver as its status. */
export type AnswerCall = (messages: EncodedValue[]) => Promise<GrpcOutcome | { code: number; details: string }>;

/**
 * The bottom of a replayed client call: nothing is sent. It collects what the app sends and, when
 * the app half-closes, plays back the recorded metadata, messages (deserialized by the app's own
 * stub, from the recorded bytes) and status. A streamed response gives one message per read, as a
 * real call does. A bidirectional stream is answered when the app ends its side.
 */
export class ReplayedGrpcCall implements GrpcCall {
  private listener: Partial<GrpcListener> = {};
  private Metadata?: new () => GrpcMetadata;
  private readonly sent: EncodedValue[] = [];
  private pending: Buffer[] = [];
  private reads = 0;
  private final?: { code: number; details: string; trailers: Array<[string, string]> };
  private finished = false;
  private halfClosed = false;

  constructor(
    private readonly definition: GrpcMethodDefinition,
    private readonly peer: string,
    private readonly answer: AnswerCall,
  ) {}

  start(metadata: GrpcMetadata, listener?: Partial<GrpcListener>): void {
    this.listener = listener ?? {};
    // The app's own Metadata class, so what it gets back is what grpc-js would give it.
    this.Metadata = metadata.constructor as new () => GrpcMetadata;
  }

  sendMessageWithContext(context: GrpcMessageContext, message: unknown): void {
    this.sent.push(encodeMessage(message));
    if (context.callback) setImmediate(context.callback);
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    if (this.halfClosed) return;
    this.halfClosed = true;
    void this.answer([...this.sent]).then((outcome) => {
      if (this.finished) return;
      if ('messages' in outcome) {
        this.listener.onReceiveMetadata?.(toMetadata(outcome.headers, this.Metadata!));
        this.pending = outcome.messages.map((base64) => Buffer.from(base64, 'base64'));
        this.final = { code: outcome.code, details: outcome.details, trailers: outcome.trailers };
      } else {
        this.final = { code: outcome.code, details: outcome.details, trailers: [] };
      }
      this.pump();
    });
  }

  startRead(): void {
    this.reads++;
    this.pump();
  }

  cancelWithStatus(code: number, details: string): void {
    this.pending = [];
    this.final = { code, details, trailers: [] };
    this.pump();
  }

  getPeer(): string {
    return this.peer;
  }

  private pump(): void {
    if (!this.final || this.finished) return;
    // A unary response needs no read: grpc-js's own bottom call reads it unasked.
    while (this.pending.length > 0 && (!this.definition.responseStream || this.reads > 0)) {
      if (this.definition.responseStream) this.reads--;
      this.listener.onReceiveMessage?.(this.definition.responseDeserialize(this.pending.shift()!));
    }
    if (this.pending.length > 0) return;
    this.finished = true;
    const { code, details, trailers } = this.final;
    this.listener.onReceiveStatus?.({ code, details, metadata: toMetadata(trailers, this.Metadata!) });
  }
}
