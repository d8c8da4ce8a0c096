import type { Span, Tracer } from '@opentelemetry/api';
import { requestKey, type NormalizedRequest, type Redactor, type RequestKey } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import { claimChildStart } from '../child-process/claimed-starts.js';
import { observeHandler } from './handler-property.js';
import { isRequest, isResponse, type JsonRpcId, type JsonRpcRequest } from './json-rpc.js';
import { answerResponse, isSideEffect, mcpCallOf, mcpKeyRules, type McpAnswer, type RedactedMcpCall } from './mcp-call.js';
import type { McpTransportDoor } from './mcp-instrumentation.js';
import { endMcpSpan, startMcpSpan } from './mcp-span.js';
import { serverOf, type StdioTransport, type StdioTransportPrototype } from './stdio-transport.js';

/** A request sent and not answered yet. */
interface InFlight {
  id: JsonRpcId;
  span: Span;
  key: RequestKey<RedactedMcpCall, NormalizedRequest>;
  method: string;
}

/** One transport's requests in flight, what the server sent on its own since the last answer, and whether the app asked it to close. */
interface TransportState {
  inFlight: Map<JsonRpcId, InFlight>;
  heard: unknown[];
  closing: boolean;
}

/**
 * Capture for the SDK's stdio client transport. The server runs as the app asked, started by the
 * transport with a claim (claimed-starts.ts) so the child-process door leaves it alone: its
 * traffic is recorded here, one step per request. A request is keyed when it is sent and recorded
 * when the response with its id arrives; a request the server never answered is recorded when the
 * transport closes. Notifications, either way, are no steps: what the server sends on its own is
 * kept with the next answer (mcp-call.ts, McpAnswer.before).
 */
export class McpCapture implements McpTransportDoor {
  private readonly rules = mcpKeyRules();
  private readonly transports = new WeakMap<object, TransportState>();
  /** Messages already seen: a client that wraps the handler it reads makes the door see one message twice. */
  private readonly seen = new WeakSet<object>();

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
    private readonly tracer: Tracer,
  ) {}

  patch(proto: StdioTransportPrototype): () => void {
    const { start, send, close } = proto;
    const capture = this;
    proto.start = function (this: StdioTransport): Promise<void> {
      return serverOf(this) ? claimChildStart('mcp', () => start.call(this)) : start.call(this);
    };
    proto.send = function (this: StdioTransport, message: unknown, options?: unknown): Promise<void> {
      // Keyed and its span started before it is written: the call starts here.
      const flight = isRequest(message) ? capture.sent(this, message) : undefined;
      const sending = send.call(this, message, options);
      // Not written (the transport was not connected): no call was made.
      if (flight) sending.then(undefined, () => capture.unsent(this, flight.id));
      return sending;
    };
    proto.close = function (this: StdioTransport): Promise<void> {
      const state = capture.transports.get(this);
      if (state) state.closing = true;
      return close.call(this);
    };
    const undoMessages = observeHandler(proto, 'onmessage', (transport, message: unknown) => capture.heard(transport, message));
    const undoClose = observeHandler(proto, 'onclose', (transport) => capture.closed(transport));
    return () => {
      undoClose();
      undoMessages();
      Object.assign(proto, { start, send, close });
    };
  }

  private sent(transport: StdioTransport, message: JsonRpcRequest): InFlight | undefined {
    const server = serverOf(transport);
    if (!server) return undefined;
    let key: InFlight['key'];
    try {
      key = requestKey(mcpCallOf(server, message), this.redactor, this.rules);
    } catch {
      // A request that cannot be keyed (not JSON) cannot be replayed either: leave it unrecorded.
      return undefined;
    }
    const flight: InFlight = { id: message.id, span: startMcpSpan(this.tracer, key.redacted, message.id), key, method: message.method };
    this.stateOf(transport).inFlight.set(message.id, flight);
    return flight;
  }

  private unsent(transport: object, id: JsonRpcId): void {
    const flight = this.transports.get(transport)?.inFlight.get(id);
    if (!flight) return;
    this.transports.get(transport)?.inFlight.delete(id);
    flight.span.end();
  }

  /** A message from the server: the answer to a request in flight, or one it sent on its own, kept for the next answer. */
  private heard(transport: object, message: unknown): void {
    const state = this.transports.get(transport);
    if (!state || message === null || typeof message !== 'object' || this.seen.has(message)) return;
    this.seen.add(message);
    if (!isResponse(message)) {
      state.heard.push(message);
      return;
    }
    const flight = state.inFlight.get(message.id);
    if (!flight) return;
    state.inFlight.delete(message.id);
    const answer: McpAnswer = 'result' in message ? { result: message.result } : { error: message.error };
    if (state.heard.length > 0) answer.before = state.heard.splice(0);
    this.record(flight, answer);
  }

  /** The transport closed: what was in flight got no answer, because the server went away or the app closed first. */
  private closed(transport: object): void {
    const state = this.transports.get(transport);
    if (!state) return;
    const unanswered = state.closing ? 'unanswered' : 'closed';
    for (const flight of state.inFlight.values()) {
      const answer: McpAnswer = { unanswered };
      if (state.heard.length > 0) answer.before = state.heard.splice(0);
      this.record(flight, answer);
    }
    state.inFlight.clear();
  }

  private record(flight: InFlight, answer: McpAnswer): void {
    const capture = this.registry.track(flight.span, 'mcp');
    capture.setRequest(
      Promise.resolve({ inputHash: flight.key.hash, request: { normalized: flight.key.normalized, headers: [] }, sideEffect: isSideEffect(flight.method) }),
    );
    capture.setResponse(answerResponse(answer, this.redactor));
    endMcpSpan(flight.span, answer);
  }

  private stateOf(transport: object): TransportState {
    let state = this.transports.get(transport);
    if (!state) {
      state = { inFlight: new Map(), heard: [], closing: false };
      this.transports.set(transport, state);
    }
    return state;
  }
}
