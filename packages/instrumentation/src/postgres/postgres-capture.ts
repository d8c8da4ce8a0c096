import type { Span } from '@opentelemetry/api';
import type { PgRequestHookInformation, PgResponseHookInformation } from '@opentelemetry/instrumentation-pg';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { PendingCapture } from '../capture/pending-capture.js';
import { isWriteStatement } from '../database/sql-statement.js';
import { encodeValue } from '../database/value-codec.js';
import { errorResponse, postgresKeyRules, resultResponse, targetOf, type PostgresCall } from './postgres-call.js';
import type { PgResultLike } from './pg-types.js';

/** How the official instrumentation words a query error on its span: the SQLSTATE is all it keeps. */
const SANITIZED_ERROR = /\(code: ([0-9A-Z]{5})\)/;

/**
 * Capture for `pg`, through the official OpenTelemetry instrumentation's hooks: it makes the query
 * spans (database semantic conventions) and hands each query to `requestHook` and each result to
 * `responseHook`, with the span. A query that fails ends its span with the error's message and
 * SQLSTATE, which is what the recording keeps of it.
 */
export class PostgresCapture {
  private readonly pending = new WeakMap<Span, PendingCapture>();

  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
  ) {}

  readonly requestHook = (span: Span, info: PgRequestHookInformation): void => {
    // A sampled-out query's span reaches no processor: nothing of it would be stored.
    if (!span.isRecording()) return;
    const call: PostgresCall = { statement: info.query.text, params: (info.query.values ?? []).map(encodeValue) };
    if (info.query.name !== undefined) call.name = info.query.name;
    const key = requestKey(call, this.redactor, postgresKeyRules(targetOf({ connectionParameters: info.connection })));
    const capture = this.registry.track(span, 'postgres', (ended) => this.failure(ended));
    capture.setRequest(
      Promise.resolve({
        inputHash: key.hash,
        request: { normalized: key.normalized, headers: [] },
        sideEffect: isWriteStatement(key.redacted.statement),
        credentials: info.connection.user ? [`user:${info.connection.user}`] : [],
      }),
    );
    this.pending.set(span, capture);
  };

  readonly responseHook = (span: Span, info: PgResponseHookInformation): void => {
    const capture = this.pending.get(span);
    this.pending.delete(span);
    capture?.setResponse(resultResponse(info.data as unknown as PgResultLike, this.redactor));
  };

  /** The error a failed query's span carries, as the recorded response. */
  private failure(span: ReadableSpan): ReturnType<typeof errorResponse> {
    const described = span.events.find((event) => event.name === 'exception')?.attributes?.['exception.message'];
    const code = typeof described === 'string' ? SANITIZED_ERROR.exec(described)?.[1] : undefined;
    const error = Object.assign(new Error(span.status.message ?? 'query failed'), { name: 'DatabaseError' }, code ? { code } : {});
    return errorResponse(error, this.redactor);
  }
}
