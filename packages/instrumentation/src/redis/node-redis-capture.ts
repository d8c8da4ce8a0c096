import { context, trace, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { PendingCapture } from '../capture/pending-capture.js';
import { describedError, errorResponse, recordedError, redisCall, redisKeyRules, redisTarget, replyResponse, type RecordedRedisError } from './redis-call.js';
import { isWriteCommand } from './redis-commands.js';
import type { NodeRedisTraceContext } from './redis-types.js';

/** The official instrumentation's scope, and how it names a command's span: `redis-GET`. */
const OFFICIAL_SCOPE = '@opentelemetry/instrumentation-redis';

/** One command on its way, with what the tape will hold of it. */
interface Member {
  capture: PendingCapture;
  answered: boolean;
}

/**
 * Capture for node-redis (`@redis/client` 6), whose spans the official OpenTelemetry
 * instrumentation makes: one per command (`redis-GET`), sent alone or queued into a MULTI or a
 * pipeline (then the span starts when the command is queued and ends when the batch answers).
 *
 * Its hooks are not enough to record a command: it has no request hook, calls nothing when a
 * command fails (so a failed command's arguments would be lost), and its response hook gets a
 * transaction's replies after the client transformed them, while a replay must hand the client
 * raw replies. So the door reads one layer below, in code the official instrumentation does not
 * patch (RedisCaptureInstrumentation):
 *
 * - the client's command queue (`RedisCommandsQueue#addCommand`), where every command reaches the
 *   wire, with its arguments as sent and the promise of its raw reply or error reply. A command
 *   sent alone arrives there inside its span (the official instrumentation makes it the active
 *   span); a MULTI or pipeline member is matched to the span made when it was queued, which
 *   `RedisMultiCommand#addCommand` (called inside that span) tells by its argument array;
 * - node-redis's own tracing channels (`node-redis:command`, `node-redis:batch`), published
 *   synchronously just before the queue is reached, which say the server and the logical database.
 *
 * What reaches the queue outside these (the connection's handshake: HELLO with the password,
 * SELECT, CLIENT SETINFO; QUIT; RESET) is not an app call and stays off the tape.
 *
 * A pipeline is its commands, each a step with its own reply or error. A MULTI/EXEC transaction is
 * its queued commands, each a step with its element of EXEC's reply (an error reply in place is
 * that step's error); MULTI and EXEC themselves are not steps (the official instrumentation makes
 * no span for them). When the transaction fails as a whole, its steps hold that error with the
 * stage it came from: `queue` (the server refused a command as it was queued) or `exec` (EXECABORT,
 * a WATCH conflict).
 */
export class NodeRedisCapture {
  /** The channel contexts open on the stack right now: a command's or a batch's synchronous part. */
  private readonly open: NodeRedisTraceContext[] = [];
  /** MULTI and pipeline members' spans, by the argument array the member was queued with. */
  private readonly memberSpans = new WeakMap<object, Span>();
  private readonly tracked = new WeakSet<Span>();
  /** Open transactions: their members in order, until EXEC answers. */
  private readonly transactions = new Map<symbol, Member[]>();
  private warnedUnspanned = false;

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
  ) {}

  readonly channelStart = (message: unknown): void => {
    this.open.push(message as NodeRedisTraceContext);
  };

  readonly channelEnd = (): void => {
    this.open.pop();
  };

  /** A command was queued into a MULTI or pipeline (inside the span the official instrumentation made for it). */
  memberQueued(args: object): void {
    const span = trace.getSpan(context.active());
    if (span && isCommandSpanFor(span, args as unknown[])) this.memberSpans.set(args, span);
  }

  /** A command reached the client's queue; `reply` settles with its raw reply or error. */
  commandQueued(args: unknown[], options: { chainId?: symbol } | undefined, reply: Promise<unknown>): void {
    const where = this.open.at(-1);
    if (!where) return;
    const target = redisTarget(where.serverAddress ?? 'localhost', where.serverPort, where.database ?? 0);
    if (where.batchMode === 'MULTI') {
      this.transactionCommand(args, options?.chainId, reply, target);
      return;
    }
    const span = where.batchMode === 'PIPELINE' ? this.memberSpans.get(args) : activeCommandSpan(args);
    if (!span) {
      if (where.batchMode) this.warnUnspanned();
      return;
    }
    const member = this.track(span, args, target);
    if (!member) return;
    reply.then(
      (value) => this.answer(member, replyResponse(value, this.redactor)),
      (error: unknown) => this.answer(member, errorResponse(recordedError(error), this.redactor)),
    );
  }

  private transactionCommand(args: unknown[], chainId: symbol | undefined, reply: Promise<unknown>, target: string): void {
    if (chainId === undefined) return;
    const name = String(args[0]).toUpperCase();
    if (name === 'MULTI') {
      this.transactions.set(chainId, []);
      return;
    }
    const members = this.transactions.get(chainId);
    if (!members) return;
    if (name === 'EXEC' && !this.memberSpans.has(args)) {
      this.transactions.delete(chainId);
      reply.then(
        (value) => this.execAnswered(members, value),
        (error: unknown) => this.failAll(members, recordedError(error, 'exec')),
      );
      return;
    }
    const span = this.memberSpans.get(args);
    if (!span) {
      // The official instrumentation ends a transaction's spans only when it made one per
      // command: with this one unspanned, none of them will end, and nothing is recorded.
      this.warnUnspanned();
      return;
    }
    const member = this.track(span, args, target);
    if (!member) return;
    members.push(member);
    // The reply to a queued command is QUEUED; an error reply here fails the whole transaction.
    reply.then(undefined, (error: unknown) => this.answer(member, errorResponse(recordedError(error, 'queue'), this.redactor)));
  }

  /** EXEC's raw reply: the members' results in order, error replies in place; null after a WATCH conflict. */
  private execAnswered(members: Member[], value: unknown): void {
    if (!Array.isArray(value)) {
      this.failAll(members, describedError('WatchError', 'One (or more) of the watched keys has been changed', 'exec'));
      return;
    }
    members.forEach((member, index) => {
      const result: unknown = value[index];
      this.answer(member, result instanceof Error ? errorResponse(recordedError(result), this.redactor) : replyResponse(result, this.redactor));
    });
  }

  private failAll(members: Member[], error: RecordedRedisError): void {
    for (const member of members) this.answer(member, errorResponse(error, this.redactor));
  }

  private track(span: Span, args: unknown[], target: string): Member | undefined {
    // A sampled-out command's span reaches no processor: nothing of it would be stored.
    if (this.tracked.has(span) || !span.isRecording()) return undefined;
    this.tracked.add(span);
    const call = redisCall(String(args[0]), args.slice(1));
    const key = requestKey(call, this.redactor, redisKeyRules(target));
    const capture = this.registry.track(span, 'redis', (ended) => this.failure(ended));
    capture.setRequest(
      Promise.resolve({ inputHash: key.hash, request: { normalized: key.normalized, headers: [] }, sideEffect: isWriteCommand(call.command, call.args) }),
    );
    return { capture, answered: false };
  }

  /** The first answer a member gets is its own: a transaction's later, wholesale error does not replace it. */
  private answer(member: Member, response: ReturnType<typeof replyResponse>): void {
    if (member.answered) return;
    member.answered = true;
    member.capture.setResponse(response);
  }

  /** A span that ended in error before any reply came (the client was closed, say): what the span says. */
  private failure(span: ReadableSpan): ReturnType<typeof errorResponse> {
    const exception = span.events.find((event) => event.name === 'exception')?.attributes ?? {};
    const message = exception['exception.message'] ?? span.status.message ?? 'command failed';
    return errorResponse(describedError('Error', String(message)), this.redactor);
  }

  private warnUnspanned(): void {
    if (this.warnedUnspanned) return;
    this.warnedUnspanned = true;
    process.stderr.write(
      'tracetape: a node-redis MULTI or pipeline held a command queued with select(), sendCommand() or a script; ' +
        'the OpenTelemetry redis instrumentation makes no span for those, so that batch is not recorded, and a replay will refuse it.\n',
    );
  }
}

/** The span the official instrumentation made for this command and made active around sending it. */
function activeCommandSpan(args: unknown[]): Span | undefined {
  const span = trace.getSpan(context.active());
  return span && isCommandSpanFor(span, args) ? span : undefined;
}

function isCommandSpanFor(span: Span, args: unknown[]): boolean {
  const readable = span as unknown as Partial<ReadableSpan>;
  return readable.instrumentationScope?.name === OFFICIAL_SCOPE && readable.name === `redis-${String(args[0])}`;
}
