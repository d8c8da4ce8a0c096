import { TracetapeError } from '@tracetape/core';

/**
 * A request the collector refuses, with the HTTP status the OTLP/HTTP spec prescribes for it.
 * The message goes back to the sender in the response's Status, so it says what to change.
 */
export class RejectedRequestError extends TracetapeError {
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** The body is not a valid OTLP ExportTraceServiceRequest (protobuf or JSON), or not valid gzip. */
export class MalformedRequestError extends RejectedRequestError {
  constructor(problem: string, cause?: unknown) {
    super('TRACETAPE_OTLP_MALFORMED', 400, `The request body is not a valid OTLP trace export: ${problem}.`, { cause });
  }
}

/** The body, as sent or once inflated, is over the configured limit. */
export class RequestTooLargeError extends RejectedRequestError {
  constructor(limitBytes: number, inflated: boolean) {
    super(
      'TRACETAPE_OTLP_TOO_LARGE',
      413,
      `The request body is larger than ${limitBytes} bytes${inflated ? ' once decompressed' : ''}, the collector's limit. ` +
        'Send smaller batches (the exporter\'s max export batch size) or raise the limit with --max-body-bytes.',
    );
  }
}

export class UnsupportedMediaTypeError extends RejectedRequestError {
  constructor(what: string) {
    super(
      'TRACETAPE_OTLP_UNSUPPORTED_MEDIA',
      415,
      `${what} is not supported: send application/x-protobuf or application/json, uncompressed or with Content-Encoding: gzip.`,
    );
  }
}

export class UnauthorizedError extends RejectedRequestError {
  constructor() {
    super(
      'TRACETAPE_OTLP_UNAUTHORIZED',
      401,
      'This collector needs a bearer token: send "Authorization: Bearer <token>" (for an OpenTelemetry exporter, OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>).',
    );
  }
}

export class NotFoundError extends RejectedRequestError {
  constructor(path: string) {
    super('TRACETAPE_OTLP_NOT_FOUND', 404, `Nothing is served at ${path}: this collector receives traces at POST /v1/traces.`);
  }
}

export class MethodNotAllowedError extends RejectedRequestError {
  constructor(method: string) {
    super('TRACETAPE_OTLP_METHOD', 405, `${method} is not allowed: OTLP/HTTP exports traces with POST /v1/traces.`);
  }
}
