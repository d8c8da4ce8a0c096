import { canonicalJson, type NormalizedRequest, type RecordedResponse, type Redactor, type RequestKeyRules } from '@tracetape/core';
import { redactJsonDocument, utf8Body } from '../database/json-document.js';
import { isObject, type JsonRpcError, type JsonRpcId, type JsonRpcRequest, type JsonRpcResponse } from './json-rpc.js';
import type { McpServerIdentity } from './stdio-transport.js';

/** One request the client sent a server: a step of this door. */
export interface McpCall {
  server: McpServerIdentity;
  method: string;
  params?: unknown;
}

/** The call as it may be stored: server arguments and the request document with their secrets replaced. */
export interface RedactedMcpCall {
  server: McpServerIdentity;
  /** The JSON-RPC method and the params beside it: `{"method":"tools/call","name":…,"arguments":{…}}`. */
  document: Record<string, unknown>;
}

/**
 * Trace context that an instrumentation may put in `params._meta` (as the MCP conventions propagate
 * it): new on every run, so never part of the key, as HTTP's traceparent header is not.
 */
const VOLATILE_META = ['traceparent', 'tracestate', 'baggage'];

/** Methods whose `params.name` is the low-cardinality target the conventions name spans after. */
const NAMED_TARGETS: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name' };

/** Methods that may change something behind the server; the door cannot tell a read-only tool from one that writes. */
const SIDE_EFFECT_METHODS = new Set(['tools/call']);

/**
 * The door's rules for requestKey(). The key is the operation as `method` (`tools/call
 * append_note`: the JSON-RPC method and, for a tool or a prompt, its name, as the conventions name
 * the span), the server's command line as `url`, and the JSON-RPC method with its params as the
 * body, so a changed argument diffs as `body.arguments.text` under a message naming the tool.
 * Redaction treats server arguments as text and the request as one JSON document (secret patterns
 * everywhere, body paths such as `$.arguments.token` on the document's shape).
 */
export function mcpKeyRules(): RequestKeyRules<McpCall, RedactedMcpCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => ({
      server: { command: redactor.text(call.server.command), args: call.server.args.map((arg) => redactor.text(arg)) },
      document: redactJsonDocument(requestDocument(call), redactor),
    }),
    normalize: ({ server, document }) => ({
      method: operationOf(String(document.method), document),
      url: commandLine(server),
      headers: {},
      body: utf8Body(canonicalJson(withoutVolatileMeta(document))),
    }),
  };
}

export function mcpCallOf(server: McpServerIdentity, request: JsonRpcRequest): McpCall {
  return request.params === undefined ? { server, method: request.method } : { server, method: request.method, params: request.params };
}

/** Whether a call may have changed something: tool calls. */
export function isSideEffect(method: string): boolean {
  return SIDE_EFFECT_METHODS.has(method);
}

/** `tools/call append_note`, `prompts/get greet`, `resources/read`: the span name the MCP conventions give. */
export function operationOf(method: string, params: unknown): string {
  const field = NAMED_TARGETS[method];
  const target = field && isObject(params) ? params[field] : undefined;
  return typeof target === 'string' && target !== '' ? `${method} ${target}` : method;
}

/** The server as the timeline and divergences show it: its command line, arguments with spaces quoted. */
export function commandLine(server: McpServerIdentity): string {
  return [server.command, ...server.args].map((word) => (word === '' || /[\s"'\\]/.test(word) ? JSON.stringify(word) : word)).join(' ');
}

function requestDocument(call: McpCall): Record<string, unknown> {
  // Params beside the method, as the brief of a tool call reads; params that are not an object
  // (JSON-RPC allows arrays) or that carry a `method` of their own stay whole under `params`.
  if (call.params === undefined) return { method: call.method };
  if (isObject(call.params) && !('method' in call.params)) return { method: call.method, ...call.params };
  return { method: call.method, params: call.params };
}

function withoutVolatileMeta(document: Record<string, unknown>): Record<string, unknown> {
  const meta = document._meta;
  if (!isObject(meta) || !VOLATILE_META.some((key) => key in meta)) return document;
  const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => !VOLATILE_META.includes(key)));
  const { _meta: _dropped, ...rest } = document;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}

/** How a request ended without an answer: the transport closed, or the run ended first. */
export type Unanswered = 'closed' | 'unanswered';

/**
 * What the tape keeps of an answer: the result or the JSON-RPC error, never the id (the replay's own
 * is used); and `before`, the messages the server sent on its own (log and progress notifications,
 * its requests to the client: sampling, roots) after the previous answer, which a replay delivers
 * again ahead of this one.
 */
export type McpAnswer = ({ result: unknown } | { error: JsonRpcError } | { unanswered: Unanswered }) & { before?: unknown[] };

/**
 * An answer as a recorded response: a result is status 200 (`tool error` when a tool reported
 * `isError`); a JSON-RPC error is status 0 with its code and message, as a database error is. The
 * stored body is redacted with the recording's secret patterns and body paths.
 */
export function answerResponse(answer: McpAnswer, redactor: Redactor): RecordedResponse {
  const body = redactor.encodedBody(utf8Body(JSON.stringify(answer)), 'application/json');
  if ('result' in answer) {
    return { status: 200, statusText: isToolError(answer.result) ? 'tool error' : 'ok', headers: [], body, complete: true };
  }
  if ('error' in answer) {
    return { status: 0, statusText: String(answer.error.code), headers: [], body, complete: true, error: redactor.text(answer.error.message) };
  }
  const why = answer.unanswered === 'closed' ? 'the server closed before answering' : 'no answer before the run ended';
  return { status: 0, statusText: answer.unanswered, headers: [], body, complete: false, error: why };
}

export function answerOf(response: RecordedResponse): McpAnswer {
  const stored = JSON.parse(response.body?.data ?? '{}') as Partial<Record<'result' | 'error' | 'unanswered' | 'before', unknown>>;
  const before = Array.isArray(stored.before) && stored.before.length > 0 ? { before: stored.before as unknown[] } : {};
  if ('error' in stored && isObject(stored.error)) return { error: stored.error as unknown as JsonRpcError, ...before };
  if (stored.unanswered === 'closed' || stored.unanswered === 'unanswered') return { unanswered: stored.unanswered, ...before };
  return { result: stored.result, ...before };
}

/** The answer as the message the client reads, under the id it sent now. */
export function responseMessage(id: JsonRpcId, answer: { result: unknown } | { error: JsonRpcError }): JsonRpcResponse {
  // Only the answer: `before` is delivered as its own messages.
  return 'result' in answer ? { jsonrpc: '2.0', id, result: answer.result } : { jsonrpc: '2.0', id, error: answer.error };
}

/** A CallToolResult with `isError`: the call went through, the tool failed. */
export function isToolError(result: unknown): boolean {
  return isObject(result) && result.isError === true;
}
