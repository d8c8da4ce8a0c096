import type { Span, Tracer } from '@opentelemetry/api';
import { requestKey, TracetapeError, type Redactor, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { answerInTurn, takeStep } from '../playback/take-step.js';
import type { PlaybackOptions } from '../types.js';
import { isRequest, type JsonRpcRequest } from './json-rpc.js';
import { answerOf, mcpCallOf, mcpKeyRules, responseMessage } from './mcp-call.js';
import type { McpTransportDoor } from './mcp-instrumentation.js';
import { endMcpSpan, startMcpSpan } from './mcp-span.js';
import { serverOf, type StdioTransport, type StdioTransportPrototype } from './stdio-transport.js';

/**
 * The JSON-RPC error code a request the tape cannot answer is failed with, in the range JSON-RPC
 * leaves to implementations (the SDK's own codes, -32000 and -32001, mean a closed connection and
 * a timeout: the app may retry on those).
 */
export const MCP_PLAYBACK_ERROR_CODE = -32090;

/** A transport the door cannot replay: the SDK changed where it keeps the server parameters. */
export class McpPlaybackUnsupportedError extends TracetapeError {
  constructor() {
    super(
      'TRACETAPE_PLAYBACK_UNSUPPORTED',
      'tracetape cannot tell which MCP server this StdioClientTransport talks to (its server parameters are not where @modelcontextprotocol/sdk 1.x keeps them): the request was not sent.',
    );
  }
}

export class McpTransportAlreadyStartedError extends TracetapeError {
  constructor() {
    // The SDK's own words, for an app that calls start() after connect().
    super('TRACETAPE_MCP_ALREADY_STARTED', 'StdioClientTransport already started! If using Client class, note that connect() calls start() automatically.');
  }
}

/** Where one replayed transport is. */
interface TransportState {
  open: boolean;
}

/**
 * Playback for the SDK's stdio client transport: `start()` spawns nothing, each request the client
 * sends is keyed as capture keyed it and answered from the tape through `onmessage`, in the
 * recorded completion order, under the id the client sent now. A request the tape does not hold
 * is a divergence, reported and delivered to the client as a JSON-RPC error (so `callTool`
 * rejects with it). Notifications, and the client's answers to server requests, go nowhere.
 */
export class McpPlayback implements McpTransportDoor {
  private readonly rules = mcpKeyRules();
  private readonly transports = new WeakMap<object, TransportState>();

  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly tracer: Tracer,
    private readonly options: PlaybackOptions,
  ) {}

  patch(proto: StdioTransportPrototype): () => void {
    const { start, send, close } = proto;
    const playback = this;
    proto.start = async function (this: StdioTransport): Promise<void> {
      if (playback.transports.has(this)) throw new McpTransportAlreadyStartedError();
      playback.transports.set(this, { open: true });
    };
    proto.send = async function (this: StdioTransport, message: unknown): Promise<void> {
      if (!playback.transports.get(this)?.open) throw new Error('Not connected');
      if (isRequest(message)) playback.answer(this, message);
    };
    proto.close = async function (this: StdioTransport): Promise<void> {
      const state = playback.transports.get(this);
      if (!state?.open) return;
      state.open = false;
      this.onclose?.();
    };
    return () => void Object.assign(proto, { start, send, close });
  }

  private answer(transport: StdioTransport, request: JsonRpcRequest): void {
    const server = serverOf(transport);
    if (!server) {
      this.deliver(transport, request, new McpPlaybackUnsupportedError());
      return;
    }
    const key = requestKey(mcpCallOf(server, request), this.redactor, this.rules);
    const span = startMcpSpan(this.tracer, key.redacted, request.id);
    const taken = takeStep(this.matcher, this.options, key, span.spanContext().spanId);
    if ('error' in taken) {
      this.deliver(transport, request, taken.error, span);
      return;
    }
    void this.play(transport, request, taken.entry, span);
  }

  private async play(transport: StdioTransport, request: JsonRpcRequest, entry: TapeEntry, span: Span): Promise<void> {
    await answerInTurn(this.order, entry);
    const answer = answerOf(entry.response);
    endMcpSpan(span, answer);
    const state = this.transports.get(transport);
    if (!state?.open) return;
    // What the server sent on its own before this answer (logs, progress, its own requests), in order.
    for (const message of answer.before ?? []) if (state.open) transport.onmessage?.(message);
    if (!state.open) return;
    if ('unanswered' in answer) {
      // The server had gone away: the transport closes, as it did then.
      if (answer.unanswered === 'closed') {
        state.open = false;
        transport.onclose?.();
      }
      // Else the app closed first, or its own timeout gave up: nothing came, nothing comes.
      return;
    }
    transport.onmessage?.(responseMessage(request.id, answer));
  }

  /** A request failed by tracetape: the client reads it as the server's JSON-RPC error, a turn later as a real answer would come. */
  private deliver(transport: StdioTransport, request: JsonRpcRequest, error: Error, span?: Span): void {
    const code = error instanceof TracetapeError ? error.code : error.name;
    const answer = { error: { code: MCP_PLAYBACK_ERROR_CODE, message: error.message, data: { code } } };
    if (span) endMcpSpan(span, answer);
    setImmediate(() => {
      if (this.transports.get(transport)?.open) transport.onmessage?.(responseMessage(request.id, answer));
    });
  }
}
