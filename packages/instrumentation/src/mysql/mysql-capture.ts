import type { EventEmitter } from 'node:events';
import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import { requestKey, type RecordedResponse, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import { isWriteStatement } from '../database/sql-statement.js';
import { errorResponse, mysqlKeyRules, readQueryArgs, readResult, resultResponse, targetOf, type MysqlMethod, type QueryArgs } from './mysql-call.js';
import { MysqlCaptureInstrumentation } from './mysql-capture-instrumentation.js';
import type { MysqlCallback, MysqlCommandLike, MysqlConfigLike, MysqlConnectionLike } from './mysql-types.js';

/**
 * Capture for `mysql2`. The query spans are the official OpenTelemetry instrumentation's
 * (database semantic conventions). It has no hook for the query it is about to run and none for a
 * failed one (its responseHook gets the rows of a success only, without their columns), so the
 * door wraps the same `query` and `execute` itself: it reads the arguments, and the outcome from
 * the callback or the command's events, and records both on the official span.
 *
 * The two wrappers may be installed in either order. The door's is plain (no shimmer marks), so
 * the official patch, which unwraps a shimmer-wrapped method before wrapping it, wraps it instead
 * of removing it; and the span reaches the door's wrapper through {@link SpanHandoff}, whichever
 * of the two runs first.
 */
export class MysqlCapture {
  private readonly handoff = new SpanHandoff();

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
  ) {}

  /** The official instrumentation, configured for the door, and the door's own wrapper of query and execute. */
  instrumentations(): Instrumentation[] {
    return [new MysqlSpanInstrumentation((span) => this.handoff.started(span)), new MysqlCaptureInstrumentation(this)];
  }

  /** `query` or `execute` of Connection.prototype, wrapped: each call is read and its outcome recorded on the span. */
  wrap(method: MysqlMethod, original: (...args: unknown[]) => unknown): (this: MysqlConnectionLike, ...args: unknown[]) => unknown {
    const capture = this;
    return function recordedQuery(this: MysqlConnectionLike, ...args: unknown[]): unknown {
      // The official wrapper outside this one started the span just before it called in.
      let span = capture.handoff.takeJustStarted();
      let read: QueryArgs | undefined;
      let outcome: QueryOutcome | undefined;
      try {
        read = readQueryArgs(args, method);
        if (read) outcome = capture.observe(read, args);
      } catch {
        // Arguments the door cannot read (values it cannot encode): the query runs unrecorded.
        outcome = undefined;
      }
      // The official wrapper inside this one starts the span while this one calls in.
      const result = capture.handoff.during(
        (started) => (span ??= started),
        () => original.apply(this, args),
      );
      if (read && outcome) {
        try {
          // Without a callback the outcome comes as events of the command query() returns.
          if (read.callbackIndex === undefined && !read.command && isEmitter(result)) outcome.listen(result);
          if (span?.isRecording()) {
            capture.record(span, read, this.config, outcome.response);
            if (outcome.readsEvents) endWhenDone(span, outcome);
          }
        } catch {
          // The query is on its way: a recording that fails must not fail it.
        }
      }
      return result;
    };
  }

  /** Puts an observer where the outcome will arrive: the callback, the command's own callback, or its events. */
  private observe(read: QueryArgs, args: unknown[]): QueryOutcome {
    const outcome = new QueryOutcome(this.redactor);
    if (read.callbackIndex !== undefined) {
      args[read.callbackIndex] = outcome.callback(args[read.callbackIndex] as MysqlCallback);
    } else if (read.command) {
      const command = read.command;
      if (typeof command.onResult === 'function') command.onResult = outcome.callback(command.onResult);
      else outcome.listen(command);
    }
    return outcome;
  }

  private record(span: Span, read: QueryArgs, config: MysqlConfigLike, response: Promise<RecordedResponse>): void {
    const key = requestKey(read.call, this.redactor, mysqlKeyRules(targetOf(config)));
    const capture = this.registry.track(span, 'mysql');
    capture.setRequest(
      Promise.resolve({
        inputHash: key.hash,
        request: { normalized: key.normalized, headers: [] },
        sideEffect: isWriteStatement(key.redacted.statement),
        credentials: config.user ? [`user:${config.user}`] : [],
      }),
    );
    capture.setResponseWhenDone(response);
  }
}

/**
 * Hands the official instrumentation's span to the door's wrapper of the same call. The official
 * wrapper starts its span and calls the method it wrapped in one synchronous run, so:
 * - with the door's wrapper outside, the span started while the door's wrapper calls in is its call's;
 * - with the door's wrapper inside, the span started just before it was called is its call's, and
 *   nothing else can claim that span past the current run.
 */
export class SpanHandoff {
  private waiting: ((span: Span) => void) | undefined;
  private justStarted: Span | undefined;

  started(span: Span): void {
    const take = this.waiting;
    if (take) {
      this.waiting = undefined;
      take(span);
      return;
    }
    this.justStarted = span;
    queueMicrotask(() => {
      if (this.justStarted === span) this.justStarted = undefined;
    });
  }

  takeJustStarted(): Span | undefined {
    const span = this.justStarted;
    this.justStarted = undefined;
    return span;
  }

  /** Runs `call`; the first span started meanwhile goes to `take`. */
  during<T>(take: (span: Span) => void, call: () => T): T {
    const previous = this.waiting;
    this.waiting = take;
    try {
      return call();
    } finally {
      this.waiting = previous;
    }
  }
}

/**
 * The official mysql2 instrumentation, telling the door each span it starts. The statement goes
 * onto the span as written (`?` placeholders), never formatted with the values as it would by
 * default: values go only into the door's redacted request.
 */
export class MysqlSpanInstrumentation extends MySQL2Instrumentation {
  private watched: { inner: Tracer; outer: Tracer } | undefined;

  constructor(private readonly onSpanStart: (span: Span) => void) {
    super({ maskStatement: true, maskStatementHook: (statement) => statement });
  }

  protected override get tracer(): Tracer {
    const inner = super.tracer;
    if (this.watched?.inner !== inner) this.watched = { inner, outer: watchStarts(inner, (span) => this.onSpanStart(span)) };
    return this.watched.outer;
  }
}

function watchStarts(tracer: Tracer, onStart: (span: Span) => void): Tracer {
  return {
    startSpan(name, options, context) {
      const span = tracer.startSpan(name, options, context);
      onStart(span);
      return span;
    },
    startActiveSpan: tracer.startActiveSpan.bind(tracer) as Tracer['startActiveSpan'],
  };
}

/**
 * The outcome of one query as the app is given it, read as it passes: the callback's error or
 * rows and columns, or the events of a query run without a callback.
 */
class QueryOutcome {
  readonly response: Promise<RecordedResponse>;
  private resolve!: (response: RecordedResponse) => void;
  private reject!: (error: unknown) => void;
  private finished = false;
  /** The query has no callback: its outcome is read from the command's events. */
  readsEvents = false;
  /** Called once the outcome is known, with the query's error if it failed. */
  onFinish: ((error: Error | undefined) => void) | undefined;

  constructor(private readonly redactor: Redactor) {
    this.response = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A response nobody waits for (no span to record on) must not be an unhandled rejection.
    this.response.catch(() => undefined);
  }

  /** `next`, preceded by reading what it is given (before the app can change the rows). */
  callback(next: MysqlCallback): MysqlCallback {
    const outcome = this;
    return function observedCallback(this: unknown, ...args: Parameters<MysqlCallback>) {
      outcome.finish(args[0], args[1], args[2]);
      return next.apply(this, args);
    };
  }

  /**
   * A query run without a callback: 'fields' opens a result set, 'result' brings a row or a
   * write's OK packet, 'error' or 'end' closes. Read as the command emits them, not with listeners:
   * an 'error' listener would keep an error the app does not listen for from being thrown.
   */
  listen(command: EventEmitter | MysqlCommandLike): void {
    this.readsEvents = true;
    const sets: Array<{ fields: unknown; rows: unknown[]; header?: unknown }> = [];
    const seen = (event: string | symbol, args: unknown[]): void => {
      if (event === 'fields') {
        sets.push({ fields: args[0], rows: [] });
      } else if (event === 'result') {
        if (sets.length === 0) sets.push({ fields: undefined, rows: [] });
        const set = sets.at(-1)!;
        const row = args[0];
        if (set.fields === undefined && !Array.isArray(row) && row !== null && typeof row === 'object' && 'affectedRows' in row) set.header = row;
        else set.rows.push(row);
      } else if (event === 'error') {
        this.finish(args[0] as Error, undefined, undefined);
      } else if (event === 'end') {
        const value = (set: (typeof sets)[number]): unknown => set.header ?? set.rows;
        if (sets.length === 1) this.finish(null, value(sets[0]!), sets[0]!.fields);
        else this.finish(null, sets.map(value), sets.map((set) => set.fields));
      }
    };
    const emit = command.emit;
    command.emit = function observedEmit(this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
      seen(event, args);
      return emit.call(this, event, ...args);
    };
  }

  private finish(error: Error | null | undefined, rows: unknown, fields: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish?.(error ?? undefined);
    try {
      this.resolve(error ? errorResponse(error, this.redactor) : resultResponse(readResult(rows, fields), this.redactor));
    } catch (failure) {
      this.reject(failure);
    }
  }
}

/**
 * Ends the official span of a query read by its events, if the official instrumentation has not:
 * it ends its span at the command's first row or error, but given `query(sql, values)` with no
 * callback it listens to nothing and never ends it, and the query would not be recorded. Checked
 * a turn after the command ended, so an instrumentation that does end it goes first.
 */
function endWhenDone(span: Span, outcome: QueryOutcome): void {
  outcome.onFinish = (error) =>
    setImmediate(() => {
      if (!span.isRecording()) return;
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end();
    });
}

function isEmitter(value: unknown): value is EventEmitter {
  return value !== null && typeof value === 'object' && typeof (value as EventEmitter).on === 'function' && typeof (value as EventEmitter).once === 'function';
}
