export {
  DEFAULT_HOST,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PORT,
  TRACES_PATH,
  startCollector,
  type CollectorOptions,
  type CollectorStats,
  type RunningCollector,
} from './server.js';
export { CollectorBusyError, DEFAULT_MAX_INFLIGHT_BYTES } from './inflight-budget.js';
export {
  MalformedRequestError,
  MethodNotAllowedError,
  NotFoundError,
  RejectedRequestError,
  RequestTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors.js';
export { decodeJsonRequest } from './decode-json.js';
export { decodeProtobufRequest } from './decode-protobuf.js';
export { convertRequest, type ConvertedSpans } from './span-rows.js';
export type { OtlpAnyValue, OtlpKeyValue, OtlpSpan, OtlpTraceRequest } from './otlp-model.js';
export { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from './otlp-schema.js';
export { LogIngester, type IngestReport, type LogIngesterOptions } from './ingest/log-ingester.js';
export type { SkippedBytes } from '@tracetape/log';
