import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_METHOD, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM, requestKey, type Redactor } from '@tracetape/core';
import type { CaptureRegistry } from '../capture/capture-registry.js';
import type { EncodedValue } from '../database/value-codec.js';
import { callKind, encodeMessage, grpcKeyRules, isReadMethod, metadataPairs, outcomeResponse } from './grpc-call.js';
import type { GrpcCallHooks, GrpcDoor } from './grpc-door.js';
import type { GrpcInterceptorsModule, GrpcMetadata, GrpcMethodDefinition, GrpcStatus } from './grpc-types.js';

/**
 * The gRPC door's capture: each client call (unary or streaming) is a client span (RPC semantic
 * conventions) with the messages the app sent, the response messages' bytes as they came off the
 * wire (and as the app got them), the metadata (redacted) and the status. A call counts as a
 * side effect unless its method is named as a read (isReadMethod).
 */
export class GrpcCapture implements GrpcDoor {
  constructor(
    private readonly registry: CaptureRegistry,
    private readonly redactor: Redactor,
    private readonly tracer: Tracer,
  ) {}

  forCall(definition: GrpcMethodDefinition, target: string, module: GrpcInterceptorsModule): GrpcCallHooks {
    const received: Buffer[] = [];
    const recorded: GrpcMethodDefinition = {
      ...definition,
      responseDeserialize: (bytes) => {
        received.push(Buffer.from(bytes));
        return definition.responseDeserialize(bytes);
      },
    };
    const { registry, redactor, tracer } = this;
    return {
      definition: recorded,
      interceptor: (options, nextCall) => {
        // An OpenTelemetry exporter's own calls (OTLP over gRPC) run with tracing suppressed: not the app's.
        if (isTracingSuppressed(context.active())) return nextCall(options);
        const [service = '', method = ''] = definition.path.replace(/^\//, '').split('/');
        const span = tracer.startSpan(
          definition.path.replace(/^\//, ''),
          { kind: SpanKind.CLIENT, attributes: { [ATTR_RPC_SYSTEM]: 'grpc', [ATTR_RPC_SERVICE]: service, [ATTR_RPC_METHOD]: method } },
          context.active(),
        );
        const capture = registry.track(span, 'grpc');
        const sent: EncodedValue[] = [];
        const decoded: EncodedValue[] = [];
        const afterSent: number[] = [];
        let requestMetadata: GrpcMetadata | undefined;
        let headers: Array<[string, string]> = [];
        let ended = false;
        const end = (status: GrpcStatus): void => {
          if (ended) return;
          ended = true;
          const key = requestKey({ target, path: definition.path, kind: callKind(definition), messages: sent }, redactor, grpcKeyRules());
          capture.setRequest(
            Promise.resolve({ inputHash: key.hash, request: { normalized: key.normalized, headers: metadataPairs(requestMetadata, redactor) }, sideEffect: !isReadMethod(definition.path) }),
          );
          capture.setResponse(
            outcomeResponse(
              { headers, messages: received.map((bytes) => bytes.toString('base64')), decoded, afterSent, code: status.code, details: status.details, trailers: metadataPairs(status.metadata, redactor) },
              redactor,
            ),
          );
          span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, status.code);
          if (status.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: redactor.text(status.details) });
          span.end();
        };
        const call = context.with(trace.setSpan(context.active(), span), () => nextCall(options));
        return new module.InterceptingCall(call, {
          start(metadata, _listener, next) {
            requestMetadata = metadata;
            next(metadata, {
              onReceiveMetadata(received, pass) {
                headers = metadataPairs(received, redactor);
                pass(received);
              },
              onReceiveMessage(message, pass) {
                decoded.push(encodeMessage(message));
                afterSent.push(sent.length);
                pass(message);
              },
              onReceiveStatus(status, pass) {
                end(status);
                pass(status);
              },
            });
          },
          sendMessage(message, next) {
            sent.push(encodeMessage(message));
            next(message);
          },
        });
      },
    };
  }
}
