import type { Span } from '@opentelemetry/api';
import { requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { PendingCapture } from '../capture/pending-capture.js';
import { ConnectionNumbers } from './connection-numbers.js';
import { takeHandedOverNumber } from './live-connections.js';
import { describeExchange, exchangeResponse, websocketKeyRules, websocketUrl, type RecordedClose, type StepExchange, type WebSocketCall, type WebSocketMessage } from './websocket-call.js';
import { endStepSpan, startStepSpan } from './websocket-span.js';

/** A connection as the app opened it, whichever client it used. */
export interface OpeningConnection {
  url: string;
  protocols: string[];
  /** The handshake's request headers, redacted before they are stored; not part of the key. */
  headers: Array<[string, string]>;
}

/** A message as the client holds it: some (a Blob) are only read later; their place in the exchange is taken at once. */
export type ObservedMessage = WebSocketMessage | Promise<WebSocketMessage>;

/**
 * The WebSocket door's capture, for every client: numbers the connections per URL and gives each
 * a {@link ConnectionRecorder}. A connection still open when the process ends is recorded as it
 * stands, before the register hook's last flush writes the spans out.
 */
export class WebSocketCapture {
  private readonly rules = websocketKeyRules();
  private readonly numbers = new ConnectionNumbers();
  private readonly live = new Set<ConnectionRecorder>();
  private readonly undoAtEnd: () => void;

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
  ) {
    this.undoAtEnd = registry.atProcessEnd(() => {
      for (const recorder of [...this.live]) recorder.stillOpenAtExit();
    });
  }

  connect(opening: OpeningConnection): ConnectionRecorder {
    const url = websocketUrl(this.redactor.url(opening.url));
    const connection = this.numbers.next(url, takeHandedOverNumber());
    const recorder = new ConnectionRecorder(opening, connection, this.registry, this.redactor, this.rules, () => this.live.delete(recorder));
    this.live.add(recorder);
    return recorder;
  }

  dispose(): void {
    this.undoAtEnd();
  }
}

interface OpenStep {
  span: Span;
  capture: PendingCapture;
  began: number;
  exchange: Omit<StepExchange, 'messages'>;
  messages: Array<{ offsetMs: number; message: ObservedMessage }>;
}

/**
 * One connection's steps (see {@link WebSocketCall}): the open step starts with the connection;
 * each message the app sends, and its close, ends the step before it and starts its own; the
 * server's messages go to the step under way, and so does the close, which ends it. Each step is
 * a span, recorded when the step ends.
 */
export class ConnectionRecorder {
  private step: OpenStep | undefined;
  private frame = 0;
  private ended = false;

  constructor(
    private readonly opening: OpeningConnection,
    private readonly connection: number,
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
    private readonly rules: ReturnType<typeof websocketKeyRules>,
    private readonly onEnd: () => void,
  ) {
    this.begin({ action: 'open', url: opening.url, connection, protocols: opening.protocols }, opening.headers, { status: 0, statusText: 'no handshake', headers: [] });
  }

  /** The server accepted the connection (101), with the subprotocol and extensions it chose. */
  opened(headers: Array<[string, string]>): void {
    if (this.step) this.step.exchange = { ...this.step.exchange, status: 101, statusText: 'Switching Protocols', headers };
  }

  /** The handshake did not open the connection: an HTTP answer other than 101 (`status`), or no answer at all (0). */
  failed(status: number, error: string): void {
    if (!this.step) return;
    this.step.exchange = { ...this.step.exchange, status, statusText: status === 0 ? 'no connection' : `HTTP ${status}`, error };
    this.end();
  }

  serverMessage(message: ObservedMessage): void {
    if (this.step) this.step.messages.push({ offsetMs: performance.now() - this.step.began, message });
  }

  clientMessage(message: ObservedMessage): void {
    if (this.ended) return;
    this.frame++;
    const frame = this.frame;
    const call = Promise.resolve(message).then((sent): WebSocketCall => ({ action: 'send', url: this.opening.url, connection: this.connection, frame, message: sent }));
    this.begin(call, [], { status: 200, statusText: '', headers: [] });
  }

  clientClose(code: number | undefined, reason: string | undefined): void {
    if (this.ended) return;
    this.frame++;
    const call: WebSocketCall = { action: 'close', url: this.opening.url, connection: this.connection, frame: this.frame };
    if (code !== undefined) call.code = code;
    if (reason !== undefined) call.reason = reason;
    this.begin(call, [], { status: 200, statusText: '', headers: [] });
  }

  /** The app was told the connection closed: the last word of the step under way. */
  closed(code: number, reason: string, wasClean: boolean): void {
    if (!this.step) return;
    const close: RecordedClose = { code, reason, wasClean, offsetMs: Math.round((performance.now() - this.step.began) * 1000) / 1000 };
    this.step.exchange = { ...this.step.exchange, close };
    this.end();
  }

  stillOpenAtExit(): void {
    if (!this.step) return;
    this.step.exchange = { ...this.step.exchange, stillOpen: true };
    this.end();
  }

  private end(): void {
    this.finishStep();
    this.ended = true;
    this.onEnd();
  }

  private begin(call: WebSocketCall | Promise<WebSocketCall>, headers: Array<[string, string]>, exchange: OpenStep['exchange']): void {
    this.finishStep();
    const action = call instanceof Promise ? 'send' : call.action;
    const span = startStepSpan(action, this.opening.url, this.redactor);
    const capture = this.registry.track(span, 'websocket');
    capture.setRequest(
      Promise.resolve(call).then((resolved) => {
        const key = requestKey(resolved, this.redactor, this.rules);
        // Opening a connection changes nothing by itself; what the app sends may (the door cannot tell).
        return { inputHash: key.hash, request: { normalized: key.normalized, headers: this.redactor.headers(headers) }, sideEffect: resolved.action !== 'open' };
      }),
    );
    this.step = { span, capture, began: performance.now(), exchange, messages: [] };
  }

  /** Records the step under way: at once when every message is read, else when the last one is (the span waits, bounded). */
  private finishStep(): void {
    const step = this.step;
    if (!step) return;
    this.step = undefined;
    const { capture } = step;
    const build = (messages: StepExchange['messages']): StepExchange => {
      const exchange: StepExchange = { ...step.exchange, messages };
      if (exchange.status === 200) exchange.statusText = step.exchange.stillOpen ? 'still open at exit' : describeExchange(messages.length, exchange.close);
      else if (exchange.stillOpen) exchange.statusText = 'still open at exit';
      return exchange;
    };
    const pending = step.messages.some(({ message }) => message instanceof Promise);
    if (!pending) {
      const exchange = build(step.messages as StepExchange['messages']);
      capture.setResponse(exchangeResponse(exchange, this.redactor));
      endStepSpan(step.span, exchange, exchange.messages.length);
      return;
    }
    const read = Promise.all(step.messages.map(async ({ offsetMs, message }) => ({ offsetMs, message: await message })));
    capture.setResponseWhenDone(read.then((messages) => exchangeResponse(build(messages), this.redactor)));
    endStepSpan(step.span, step.exchange, step.messages.length);
  }
}
