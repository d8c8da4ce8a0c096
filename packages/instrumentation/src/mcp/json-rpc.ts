/**
 * The JSON-RPC 2.0 messages MCP exchanges, as plain shapes: the door reads and builds them without
 * the SDK's types, so the instrumentation package does not depend on the SDK.
 */
export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcResponse = { jsonrpc: '2.0'; id: JsonRpcId; result: unknown } | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcError };

/** A request: a method and an id. A message with a method and no id is a notification, which is no step. */
export function isRequest(message: unknown): message is JsonRpcRequest {
  return isObject(message) && typeof message.method === 'string' && isId(message.id);
}

/** A response: an id and a result or an error, no method. */
export function isResponse(message: unknown): message is JsonRpcResponse {
  return isObject(message) && message.method === undefined && isId(message.id) && ('result' in message || 'error' in message);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number';
}
