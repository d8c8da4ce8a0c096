import type { Span } from '@opentelemetry/api';
import { ModelDriftError, ReplayDivergenceError, requestKey, TracetapeError, type Redactor, type TapeEntry, type TapeMatcher } from '@tracetape/core';
import type { CompletionOrder } from '../playback/completion-order.js';
import { pauseBeforeStep } from '../playback/step-breakpoint.js';
import type { PlaybackOptions } from '../types.js';
import { exchangeOf, websocketKeyRules, websocketUrl, type StepExchange, type WebSocketCall, type WebSocketMessage } from './websocket-call.js';
import { ConnectionNumbers } from './connection-numbers.js';
import { endStepSpan, startStepSpan } from './websocket-span.js';

/** What a replayed connection does to the app, in the terms of its client (global WebSocket, ws). */
export interface ReplayedConnectionSide {
  /** A message from the server, as the client delivers one. */
  deliver(message: WebSocketMessage): void;
  /** The server closed the connection (1006: it dropped without a closing handshake). */
  close(code: number, reason: string, wasClean: boolean): void;
  /** The replay cannot go on: the app sent what the tape does not hold. */
  fail(error: Error): void;
}

/** The close code of a connection a replay ended because the app diverged: "internal error", with the reason saying why. */
export const DIVERGED_CLOSE_CODE = 1011;

/**
 * The WebSocket door's playback, for every client: no connection is made. Opening a connection
 * takes its open step from the tape; then each message the app sends, and its close, is matched
 * by its key (connection, place, content) and releases the server messages recorded after it, in
 * order, each in its own turn of the event loop (as a socket delivers them), and the close when
 * the recording closed there. A step the tape does not hold is a divergence: reported through
 * `onDivergence` (the replay fails) and given to the app as the connection's error and close.
 */
export class WebSocketPlayback {
  private readonly rules = websocketKeyRules();
  private readonly numbers = new ConnectionNumbers();

  constructor(
    private readonly matcher: TapeMatcher,
    private readonly order: CompletionOrder,
    private readonly redactor: Redactor,
    private readonly options: PlaybackOptions,
  ) {}

  /**
   * The open step for a connection the app opens: the player to drive it with, or, for a
   * connection the tape does not hold, the divergence (already reported) for the client to fail
   * with, or `live` under --then-live: the connection goes out for real, and capture records it
   * (connect it through connectLive() with the number, so the recording keys it as numbered here).
   */
  open(url: string, protocols: string[]): ConnectionPlayer | Error | { live: number } {
    const normalizedUrl = websocketUrl(this.redactor.url(url));
    const connection = this.numbers.next(normalizedUrl);
    const taken = this.take({ action: 'open', url, connection, protocols }, this.options.thenLive === true);
    if (taken === 'live') return { live: connection };
    if (taken instanceof Error) return taken;
    return new ConnectionPlayer(this, url, connection, taken.entry, taken.span);
  }

  /**
   * The entry that answers this step, or the divergence (reported) as the error to give the app;
   * with `mayGoLive`, `live` when the tape holds no recording of it. Only a whole connection can go
   * live: a message on a replayed connection has no server to go to.
   */
  take(call: WebSocketCall, mayGoLive = false): { entry: TapeEntry; span: Span } | Error | 'live' {
    const key = requestKey(call, this.redactor, this.rules);
    let entry: TapeEntry | undefined;
    try {
      entry = mayGoLive ? this.matcher.takeOrGoLive(key.normalized, key.hash) : this.matcher.take(key.normalized, key.hash);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (failure instanceof ReplayDivergenceError || failure instanceof ModelDriftError) this.options.onDivergence?.(failure);
      endStepSpan(startStepSpan(call.action, call.url, this.redactor), { error: failure.message }, 0);
      return failure;
    }
    if (!entry) return 'live';
    const span = startStepSpan(call.action, call.url, this.redactor);
    this.options.onServed?.(entry, span.spanContext().spanId);
    if (entry.step === this.options.breakAtStep) pauseBeforeStep(entry, key.normalized);
    // A step's recording lasts until the app's next step: waiting for the calls that finished
    // within it would wait for calls the app makes only once this step's messages arrive.
    this.order.markAnswered(entry.step);
    return { entry, span };
  }
}

/**
 * One replayed connection. Messages are released in recorded order through one queue, so a step's
 * messages all reach the app before those of the step after it, whatever the app does in between.
 */
export class ConnectionPlayer {
  private side: ReplayedConnectionSide | undefined;
  private frame = 0;
  /** No more steps are taken: the connection closed, or the app diverged. */
  private stopped = false;
  /** Nothing more reaches the app: it was told the connection closed. */
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  /** Steps the app made that are not taken yet (a Blob being read, and the steps after it). */
  private stepsWaiting = 0;
  /** The open step's handshake, for the client to answer the app's handshake with. */
  readonly handshake: StepExchange;

  constructor(
    private readonly door: WebSocketPlayback,
    private readonly url: string,
    private readonly connection: number,
    entry: TapeEntry,
    span: Span,
  ) {
    this.handshake = exchangeOf(entry.response);
    // Queued now: a message the app sends from its `open` listener, before start(), comes after these.
    this.release(this.handshake, span);
  }

  /** Whether the recorded connection opened; when it did not, `handshake` says how it failed. */
  get opens(): boolean {
    return this.handshake.status === 101;
  }

  /** Starts the exchange once the client is open: the messages the server sent before the app sent anything come first. */
  start(side: ReplayedConnectionSide): void {
    this.side = side;
  }

  send(message: WebSocketMessage | Promise<WebSocketMessage>): void {
    if (this.stopped) return;
    const frame = ++this.frame;
    if (!(message instanceof Promise)) return this.stepInTurn({ action: 'send', url: this.url, connection: this.connection, frame, message });
    // A Blob the app sent is read first; its place in the exchange is taken now.
    this.stepsWaiting++;
    this.enqueue(async () => {
      const read = await message;
      this.stepsWaiting--;
      this.step({ action: 'send', url: this.url, connection: this.connection, frame, message: read });
    });
  }

  /** The app closed the connection: a step of its own, answered with the server's side of the closing handshake. */
  clientClose(code: number | undefined, reason: string | undefined): void {
    if (this.stopped) return;
    const call: WebSocketCall = { action: 'close', url: this.url, connection: this.connection, frame: ++this.frame };
    if (code !== undefined) call.code = code;
    if (reason !== undefined) call.reason = reason;
    this.stepInTurn(call);
  }

  /**
   * Takes the step now, as the app makes it (a divergence is reported before the app goes on, and
   * a step is served even if the app exits right after), unless a step before it still waits for
   * its message to be read: then after that one.
   */
  private stepInTurn(call: WebSocketCall): void {
    if (this.stepsWaiting === 0) return this.step(call);
    this.stepsWaiting++;
    this.enqueue(() => {
      this.stepsWaiting--;
      this.step(call);
    });
  }

  private step(call: WebSocketCall): void {
    if (this.stopped) return;
    const taken = this.door.take(call);
    if (taken === 'live') return;
    if (taken instanceof Error) {
      this.stopped = true;
      // After what the steps before it released: the app got those before it diverged.
      this.enqueue(() => this.finish((side) => side.fail(taken)));
      return;
    }
    const exchange = exchangeOf(taken.entry.response);
    this.release(exchange, taken.span);
    // The app closed, and the recording ended before the server's answer came: close as asked.
    if (call.action === 'close' && !exchange.close) this.release({ ...exchange, messages: [], close: { code: call.code ?? 1005, reason: call.reason ?? '', wasClean: true, offsetMs: 0 } }, undefined);
  }

  private release(exchange: StepExchange, span: Span | undefined): void {
    if (span) endStepSpan(span, exchange, exchange.messages.length);
    for (const { message } of exchange.messages) {
      this.enqueue(async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!this.closed) this.side?.deliver(message);
      });
    }
    const close = exchange.close;
    if (close) {
      this.stopped = true;
      this.enqueue(() => this.finish((side) => side.close(close.code, close.reason, close.wasClean)));
    }
  }

  private finish(tell: (side: ReplayedConnectionSide) => void): void {
    if (this.closed || !this.side) return;
    this.closed = true;
    tell(this.side);
  }

  /**
   * Runs after everything queued before. What the app's own handlers throw while a message is
   * delivered is thrown again outside the queue, as an uncaught exception, where a real socket's
   * delivery would have thrown it; the queue goes on.
   */
  private enqueue(action: () => void | Promise<void>): void {
    this.queue = this.queue.then(action).catch((error: unknown) => {
      process.nextTick(() => {
        throw error;
      });
    });
  }
}

/** The reason a diverged connection is closed with: the error's code and the start of its message, within the 123 bytes a close frame allows. */
export function divergedReason(error: Error): string {
  const code = error instanceof TracetapeError ? error.code : error.name;
  const text = `tracetape: ${code}: ${error.message.split('\n')[0] ?? ''}`;
  if (Buffer.byteLength(text, 'utf8') <= 123) return text;
  let reason = '';
  for (const char of text) {
    if (Buffer.byteLength(reason + char, 'utf8') > 120) break;
    reason += char;
  }
  return `${reason}…`;
}
