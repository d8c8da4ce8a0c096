import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_TRACETAPE_CAPTURE_ERROR,
  ATTR_TRACETAPE_CREDENTIALS,
  ATTR_TRACETAPE_FORMAT,
  ATTR_TRACETAPE_IDEMPOTENCY_KEY,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REPEAT_KEY,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_REQUEST_METHOD,
  ATTR_TRACETAPE_REQUEST_TARGET,
  ATTR_TRACETAPE_RESPONSE,
  ATTR_TRACETAPE_SIDE_EFFECT,
  TRACETAPE_FORMAT_VERSION,
  credentialNames,
  idempotencyKeyOf,
  isSideEffect,
  llmSpanAttributes,
  repeatKey,
  spanFormatOf,
  recognizeLlmCall,
  type BoundaryKind,
  type CapturedRequest,
  type RecordedResponse,
  unansweredResponse,
  type UnansweredCall,
} from '@tracetape/core';
import type { ResponseRecording } from '../http/response-recorder.js';

/** A door's reading of the response of a call whose span ended in error, from the span itself. */
export type FailureReader = (span: ReadableSpan) => RecordedResponse;

export interface CapturedRequestPart {
  inputHash: string;
  request: CapturedRequest;
  /**
   * The canonical JSON of `request.normalized`, where the door hashed it: the stored request is
   * built around it rather than escaping a large body into JSON once more.
   */
  normalizedJson?: string;
  /** The door's word on whether the call changes something; absent for HTTP (its method says). */
  sideEffect?: boolean;
  /**
   * Names of credentials the door knows the call used beyond its headers (`user:shop_app`, the
   * database user): never values. See {@link credentialNames}.
   */
  credentials?: readonly string[];
}

/** The span a call is recorded on. */
export interface SpanIds {
  traceId: string;
  spanId: string;
}

/**
 * One outbound call being captured. Its request and response are read in the background and
 * may finish after the span has ended; the span processor waits for them, within a bound.
 */
export class PendingCapture {
  private request?: CapturedRequestPart;
  private response?: ResponseRecording | RecordedResponse;
  private failure?: string;
  private readonly parts: Array<Promise<void>> = [];
  private responseExpected = false;
  private readRequest?: () => CapturedRequestPart;

  readonly spanId: string;
  /** The trace the call belongs to: where it is counted as lost if its span is never saved. */
  readonly traceId: string;

  constructor(
    span: SpanIds,
    readonly kind: BoundaryKind = 'http',
    private readonly onFailure?: FailureReader,
  ) {
    this.spanId = span.spanId;
    this.traceId = span.traceId;
  }

  setRequest(part: Promise<CapturedRequestPart>): void {
    this.parts.push(
      part.then(
        (value) => void (this.request = value),
        (error: unknown) => void (this.failure = `request not captured: ${messageOf(error)}`),
      ),
    );
  }

  /**
   * A request the door knows whole when it hands it over: kept at once, for a call recorded at
   * process exit, when no promise settles any more.
   */
  setRequestNow(part: CapturedRequestPart): void {
    this.request = part;
  }

  /**
   * A request whose bytes the door has, read into its part only when the span is saved: the work
   * (redaction, the canonical JSON, the hash) waits until the call is over instead of running
   * while its response is on its way. Synchronous, so a call saved at process exit has it too.
   */
  setRequestLazily(read: () => CapturedRequestPart): void {
    this.readRequest = read;
  }

  setResponse(recording: ResponseRecording | RecordedResponse): void {
    this.responseExpected = true;
    this.response = recording;
    if (isRecording(recording)) this.parts.push(recording.done);
  }

  /**
   * A response the door reads from the call's own outcome, which may come after the span ended
   * (an instrumentation that ends its span before the app's callback runs): the span waits for
   * it, bounded as for a body, and the span's own error does not replace it.
   */
  setResponseWhenDone(response: Promise<RecordedResponse>): void {
    this.responseExpected = true;
    this.parts.push(
      response.then(
        (value) => void (this.response = value),
        (error: unknown) => void (this.failure = `response not captured: ${messageOf(error)}`),
      ),
    );
  }

  /** The call failed before any response (the span says so, `message` redacted): nothing more will arrive. */
  failWithoutResponse(message: string, span: ReadableSpan): void {
    if (this.responseExpected || this.response) return;
    this.response = this.onFailure?.(span) ?? { status: 0, statusText: '', headers: [], complete: true, error: message || 'request failed' };
  }

  /**
   * The process is ending and nothing has answered this call yet (no response, no error): it is
   * recorded as unanswered, which a replay reproduces. False when part of an answer came (a body
   * still arriving) or its request is not captured yet (a body still uploading, a door that reads
   * both ends at the end): that call is not whole, and stays a loss.
   */
  markUnanswered(unanswered: UnansweredCall): boolean {
    if (this.response || this.failure || (!this.request && !this.readRequest)) return false;
    this.response = unansweredResponse(unanswered);
    return true;
  }

  /** Resolves when every part started so far has been read, or after `waitMs`, whichever is first. */
  async settle(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    await Promise.race([Promise.all(this.parts), timeout]);
    clearTimeout(timer);
  }

  private readLazyRequest(): void {
    const read = this.readRequest;
    if (!read) return;
    this.readRequest = undefined;
    try {
      this.request = read();
    } catch (error) {
      this.failure = `request not captured: ${messageOf(error)}`;
    }
  }

  private recordedResponse(): RecordedResponse | undefined {
    if (!this.response) return undefined;
    return isRecording(this.response) ? this.response.snapshot() : this.response;
  }

  /** Span attributes for what has been captured so far; an unfinished response is marked incomplete. */
  toAttributes(): Attributes {
    this.readLazyRequest();
    const attributes: Attributes = { [ATTR_TRACETAPE_KIND]: this.kind, [ATTR_TRACETAPE_FORMAT]: TRACETAPE_FORMAT_VERSION };
    if (this.request) {
      attributes[ATTR_TRACETAPE_INPUT_HASH] = this.request.inputHash;
      if (this.request.sideEffect !== undefined) attributes[ATTR_TRACETAPE_SIDE_EFFECT] = String(this.request.sideEffect);
      attributes[ATTR_TRACETAPE_REQUEST] = requestPayload(this.request);
      const response: RecordedResponse = this.recordedResponse() ?? {
        status: 0,
        statusText: '',
        headers: [],
        complete: false,
        error: 'the response was still being read when the recording was saved',
      };
      attributes[ATTR_TRACETAPE_RESPONSE] = JSON.stringify(response);
      attributes[ATTR_TRACETAPE_FORMAT] = spanFormatOf(response);
      // An LLM call also gets the GenAI semantic-convention attributes, read from the same payloads.
      const llm = recognizeLlmCall(this.request.request.normalized, response);
      if (llm) Object.assign(attributes, llmSpanAttributes(llm));
      Object.assign(attributes, requestSummaryAttributes(this.request, llm !== undefined));
    }
    if (this.failure) attributes[ATTR_TRACETAPE_CAPTURE_ERROR] = this.failure;
    else if (!this.request) attributes[ATTR_TRACETAPE_CAPTURE_ERROR] = 'request not captured before the span was saved';
    return attributes;
  }
}

/**
 * Small attributes read off the request, so SQL (the inventory, repeat detection, Grafana) can group
 * calls without opening the request payload, which may be offloaded to the payload table.
 */
function requestSummaryAttributes(part: CapturedRequestPart, isLlmCall: boolean): Attributes {
  const { normalized } = part.request;
  const attributes: Attributes = {
    [ATTR_TRACETAPE_REQUEST_METHOD]: normalized.method,
    [ATTR_TRACETAPE_REQUEST_TARGET]: normalized.url,
  };
  // The repeat key re-reads the body: worth it only for a call repeat detection counts, a side
  // effect that is no model call (a model's request is the largest body of all, and never counted).
  if (!isLlmCall && isSideEffect({ sideEffect: part.sideEffect, request: part.request })) attributes[ATTR_TRACETAPE_REPEAT_KEY] = repeatKey(normalized);
  const credentials = credentialNames(part.request, part.credentials);
  if (credentials.length > 0) attributes[ATTR_TRACETAPE_CREDENTIALS] = JSON.stringify(credentials);
  const idempotencyKey = idempotencyKeyOf(part.request.headers);
  if (idempotencyKey !== undefined) attributes[ATTR_TRACETAPE_IDEMPOTENCY_KEY] = idempotencyKey;
  return attributes;
}

/**
 * The stored request: `{ normalized, headers }` as JSON. Readers parse it, so the normalised
 * request may come in its canonical key order, as already serialised for the input hash.
 */
function requestPayload(part: CapturedRequestPart): string {
  if (part.normalizedJson === undefined) return JSON.stringify(part.request);
  const { normalized: _serialised, ...rest } = part.request;
  const others = JSON.stringify(rest);
  return others === '{}' ? `{"normalized":${part.normalizedJson}}` : `{"normalized":${part.normalizedJson},${others.slice(1)}`;
}

function isRecording(value: ResponseRecording | RecordedResponse): value is ResponseRecording {
  return typeof (value as ResponseRecording).snapshot === 'function';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
