import type { ServerResponse } from 'node:http';
import { ExportTraceServiceResponse, RpcStatus } from './otlp-schema.js';

/** How the request body was encoded; responses use the same encoding, as OTLP/HTTP requires. */
export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** Codes of google.rpc.Status for the errors this receiver reports (the HTTP status says the rest). */
const RPC_CODES: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  404: 5, // NOT_FOUND
  405: 12, // UNIMPLEMENTED
  413: 8, // RESOURCE_EXHAUSTED
  415: 3, // INVALID_ARGUMENT
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};

function send(response: ServerResponse, status: number, encoding: OtlpEncoding, body: Uint8Array | string, headers: Record<string, string>): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': CONTENT_TYPES[encoding], ...headers });
  response.end(body);
}

/** 200: everything stored, or `rejected` spans refused (partial success) for `reason`. */
export function sendExportResponse(response: ServerResponse, encoding: OtlpEncoding, rejected: number, reason: string): void {
  const partial = rejected > 0 ? { rejectedSpans: rejected, errorMessage: reason } : undefined;
  if (encoding === 'json') {
    // int64 travels as a string in OTLP/JSON.
    const body = partial ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: reason } } : {};
    return send(response, 200, encoding, JSON.stringify(body), {});
  }
  const message = ExportTraceServiceResponse.fromObject(partial ? { partialSuccess: partial } : {});
  send(response, 200, encoding, ExportTraceServiceResponse.encode(message).finish(), {});
}

/** An error status with a google.rpc.Status body saying why. */
export function sendError(
  response: ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  message: string,
  headers: Record<string, string> = {},
): void {
  const code = RPC_CODES[status] ?? 2; // UNKNOWN
  const body =
    encoding === 'json'
      ? JSON.stringify({ code, message })
      : RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
  send(response, status, encoding, body, headers);
}
