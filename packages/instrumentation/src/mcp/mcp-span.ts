import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
} from '@tracetape/core';
import { TRACER_NAME } from '../tracer-name.js';
import type { JsonRpcId } from './json-rpc.js';
import { isToolError, operationOf, type McpAnswer, type RedactedMcpCall } from './mcp-call.js';

/** The tracer of this door's spans: the SDK makes none of its own. */
export function mcpTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The client span of one MCP request, as the OpenTelemetry MCP conventions have it: named
 * `{mcp.method.name} {target}` (the tool or prompt), kind CLIENT, transport `pipe`; a tool call
 * also carries the GenAI tool-execution attributes, with its arguments as redacted JSON.
 */
export function startMcpSpan(tracer: Tracer, call: RedactedMcpCall, id: JsonRpcId): Span {
  const method = String(call.document.method);
  const attributes: Attributes = {
    [ATTR_MCP_METHOD_NAME]: method,
    [ATTR_JSONRPC_REQUEST_ID]: String(id),
    [ATTR_NETWORK_TRANSPORT]: 'pipe',
  };
  const { name, uri, arguments: args, protocolVersion } = call.document;
  if (method === 'tools/call') {
    attributes[ATTR_GEN_AI_OPERATION_NAME] = 'execute_tool';
    if (typeof name === 'string') attributes[ATTR_GEN_AI_TOOL_NAME] = name;
    if (args !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = JSON.stringify(args);
  }
  if (method === 'prompts/get' && typeof name === 'string') attributes[ATTR_GEN_AI_PROMPT_NAME] = name;
  if (method.startsWith('resources/') && typeof uri === 'string') attributes[ATTR_MCP_RESOURCE_URI] = uri;
  if (method === 'initialize' && typeof protocolVersion === 'string') attributes[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;
  return tracer.startSpan(operationOf(method, call.document), { kind: SpanKind.CLIENT, attributes }, context.active());
}

/** Ends the span with the answer: a JSON-RPC error, a tool's `isError` or no answer is an error, as the conventions say. */
export function endMcpSpan(span: Span, answer: McpAnswer): void {
  if ('error' in answer) {
    span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(answer.error.code));
    span.setAttribute(ATTR_ERROR_TYPE, String(answer.error.code));
    span.setStatus({ code: SpanStatusCode.ERROR, message: answer.error.message });
  } else if ('unanswered' in answer) {
    span.setAttribute(ATTR_ERROR_TYPE, answer.unanswered);
    span.setStatus({ code: SpanStatusCode.ERROR, message: answer.unanswered });
  } else if (isToolError(answer.result)) {
    span.setAttribute(ATTR_ERROR_TYPE, 'tool_error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool_error' });
  }
  span.end();
}
