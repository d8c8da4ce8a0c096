import type { Span } from '@opentelemetry/api';
import type { IORedisRequestHookInformation } from '@opentelemetry/instrumentation-ioredis';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { PendingCapture } from '../capture/pending-capture.js';
import { describedError, errorResponse, redisCall, redisKeyRules, redisTarget, replyResponse } from './redis-call.js';
import { isWriteCommand } from './redis-commands.js';
import type { IORedisCondition, IORedisOptions } from './redis-types.js';

/**
 * Capture for `ioredis`, through the official OpenTelemetry instrumentation: it makes a span per
 * command (database semantic conventions) and calls `requestHook` with the command's name and
 * arguments before the client sends it, `responseHook` with the raw reply (Buffers, numbers,
 * arrays: what the client converts into what the app gets), and ends the span with the error of a
 * command that failed (its message and class: `ReplyError`).
 *
 * The hooks do not say which connection the command goes to, and ioredis sends its own setup
 * commands through the same path (HELLO or AUTH with the password, SELECT, CLIENT SETINFO, the
 * INFO of its ready check). Both are read from the connection state the client hands each command
 * right after the request hook (`Command#setReplyContext`, patched by RedisCaptureInstrumentation,
 * a method the official instrumentation does not touch): its `select` is the logical database,
 * its `handshake` flag marks the setup, which stays off the tape (a replay opens no connection).
 *
 * A pipeline is its commands, each a step, as ioredis sends them. A MULTI/EXEC transaction is on
 * the tape as the client speaks it: MULTI (reply OK), each queued command (reply QUEUED), then
 * EXEC, whose reply is the array of the commands' results, error replies in place.
 */
export class IORedisCapture {
  /** Commands whose request hook ran and whose connection state has not been read yet, by their argument array. */
  private readonly awaiting = new WeakMap<object, { span: Span; name: string }>();
  /**
   * Argument arrays already seen: a command queued while the client was not ready goes through
   * `sendCommand` (and the official instrumentation) again when the queue is flushed, with a
   * second span. The first span is the app's call; the second is left as a plain span.
   */
  private readonly seen = new WeakSet<object>();
  private readonly pending = new WeakMap<Span, PendingCapture>();

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
  ) {}

  readonly requestHook = (span: Span, info: IORedisRequestHookInformation): void => {
    const args = info.cmdArgs;
    if (this.seen.has(args)) return;
    this.seen.add(args);
    // QUIT closes the connection; a replay answers it itself, without the tape.
    if (info.cmdName.toLowerCase() === 'quit') return;
    // A sampled-out command's span reaches no processor: nothing of it would be stored.
    if (!span.isRecording()) return;
    this.awaiting.set(args, { span, name: info.cmdName });
  };

  /** The connection state the client gave the command (`condition`, or `options` before the first connect). */
  commandSent(args: object, state: (IORedisCondition & IORedisOptions) | undefined): void {
    const waiting = this.awaiting.get(args);
    if (!waiting) return;
    this.awaiting.delete(args);
    if (state?.handshake) return;
    const { span, name } = waiting;
    const attributes = (span as unknown as Partial<ReadableSpan>).attributes ?? {};
    const host = typeof attributes['server.address'] === 'string' ? attributes['server.address'] : 'localhost';
    const port = typeof attributes['server.port'] === 'number' ? attributes['server.port'] : 6379;
    const call = redisCall(name, args as unknown[]);
    const key = requestKey(call, this.redactor, redisKeyRules(redisTarget(host, port, state?.select ?? state?.db ?? 0)));
    const capture = this.registry.track(span, 'redis', (ended) => this.failure(ended));
    capture.setRequest(
      Promise.resolve({
        inputHash: key.hash,
        request: { normalized: key.normalized, headers: [] },
        sideEffect: isWriteCommand(call.command, call.args),
        credentials: redisUser(state),
      }),
    );
    this.pending.set(span, capture);
  }

  readonly responseHook = (span: Span, _name: string, _args: unknown, response: unknown): void => {
    const capture = this.pending.get(span);
    this.pending.delete(span);
    capture?.setResponse(replyResponse(response, this.redactor));
  };

  /** The error a failed command's span carries, as the recorded response. */
  private failure(span: ReadableSpan): ReturnType<typeof errorResponse> {
    const exception = span.events.find((event) => event.name === 'exception')?.attributes ?? {};
    const type = exception['exception.type'];
    const message = exception['exception.message'] ?? span.status.message ?? 'command failed';
    return errorResponse(describedError(typeof type === 'string' ? type : 'Error', String(message)), this.redactor);
  }
}

/** The ACL user a connection logs in as, by name (`default` when only a password is set); never the password. */
function redisUser(options: IORedisOptions | undefined): string[] {
  if (options?.username) return [`user:${options.username}`];
  return options?.password ? ['user:default'] : [];
}
