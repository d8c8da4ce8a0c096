import type { EncodedValue } from '../database/value-codec.js';
import { encodeMessage, toMetadata, type GrpcOutcome } from './grpc-call.js';
import type { GrpcCall, GrpcListener, GrpcMessageContext, GrpcMetadata, GrpcMethodDefinition } from './grpc-types.js';

/** How a replayed call gets its answer once the app has sent everything: the outcome, or the failure to deliver as its status. */
export type AnswerCall = (messages: EncodedValue[]) => Promise<GrpcOutcome | { code: number; details: string }>;

/**
 * What a bidirectional stream's recording holds for the messages sent so far, before the app ends
 * its side: the outcome of the recorded call they begin, or undefined when none does.
 */
export type PreviewCall = (messages: EncodedValue[]) => GrpcOutcome | undefined;

/**
 * The bottom of a replayed client call: nothing is sent. It collects what the app sends and, when
 * the app half-closes, plays back the recorded metadata, messages (deserialized by the app's own
 * stub, from the recorded bytes) and status. A streamed response gives one message per read, as a
 * real call does. A bidirectional stream is a conversation: each response message is released
 * once the app has sent as many messages as it had when the message came, so an app that waits
 * for a reply before it sends again replays; the call is matched whole when the app ends its side.
 */
export class ReplayedGrpcCall implements GrpcCall {
  private listener: Partial<GrpcListener> = {};
  private Metadata?: new () => GrpcMetadata;
  private readonly sent: EncodedValue[] = [];
  private pending: Buffer[] = [];
  /** Response messages already queued ahead of the match, by the preview of a bidirectional stream. */
  private released = 0;
  private headersGiven = false;
  private reads = 0;
  private final?: { code: number; details: string; trailers: Array<[string, string]> };
  private finished = false;
  private halfClosed = false;

  constructor(
    private readonly definition: GrpcMethodDefinition,
    private readonly peer: string,
    private readonly answer: AnswerCall,
    private readonly preview?: PreviewCall,
  ) {}

  start(metadata: GrpcMetadata, listener?: Partial<GrpcListener>): void {
    this.listener = listener ?? {};
    // The app's own Metadata class, so what it gets back is what grpc-js would give it.
    this.Metadata = metadata.constructor as new () => GrpcMetadata;
    if (this.preview) setImmediate(() => this.releaseEarly());
  }

  sendMessageWithContext(context: GrpcMessageContext, message: unknown): void {
    this.sent.push(encodeMessage(message));
    if (context.callback) setImmediate(context.callback);
    if (this.preview) setImmediate(() => this.releaseEarly());
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    if (this.halfClosed) return;
    this.halfClosed = true;
    this.settle();
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

  /** A bidirectional stream's replies to what the app sent so far; off the recording, the call settles as a divergence now. */
  private releaseEarly(): void {
    if (!this.preview || this.halfClosed || this.finished) return;
    const recorded = this.preview([...this.sent]);
    if (!recorded) {
      // Nothing recorded begins like this: settle now, or an app waiting for a reply would wait for ever.
      this.halfClosed = true;
      this.settle();
      return;
    }
    this.giveHeaders(recorded);
    const due = (recorded.afterSent ?? []).filter((count) => count <= this.sent.length).length;
    for (; this.released < due && this.released < recorded.messages.length; this.released++) this.pending.push(Buffer.from(recorded.messages[this.released]!, 'base64'));
    this.pump();
  }

  private settle(): void {
    void this.answer([...this.sent]).then((outcome) => {
      if (this.finished) return;
      if ('messages' in outcome) {
        this.giveHeaders(outcome);
        this.pending.push(...outcome.messages.slice(this.released).map((base64) => Buffer.from(base64, 'base64')));
        this.final = { code: outcome.code, details: outcome.details, trailers: outcome.trailers };
      } else {
        this.final = { code: outcome.code, details: outcome.details, trailers: [] };
      }
      this.pump();
    });
  }

  private giveHeaders(outcome: GrpcOutcome): void {
    if (this.headersGiven) return;
    this.headersGiven = true;
    this.listener.onReceiveMetadata?.(toMetadata(outcome.headers, this.Metadata!));
  }

  private pump(): void {
    // A unary response needs no read: grpc-js's own bottom call reads it unasked.
    while (this.pending.length > 0 && (!this.definition.responseStream || this.reads > 0)) {
      if (this.definition.responseStream) this.reads--;
      this.listener.onReceiveMessage?.(this.definition.responseDeserialize(this.pending.shift()!));
    }
    if (!this.final || this.finished || this.pending.length > 0) return;
    this.finished = true;
    const { code, details, trailers } = this.final;
    this.listener.onReceiveStatus?.({ code, details, metadata: toMetadata(trailers, this.Metadata!) });
  }
}
