import { canonicalJson, encodeBody, inputHash, recognizeLlmCall, type NormalizedRequest, type RecordedResponse, type TapeEntry } from '@tracetape/core';
import { jsonResponse, postJson } from './llm-fixtures.js';

/** A recorded call to an LLM API, with `llm` read from its payloads as recording does. */
export function llmCall(step: number, request: NormalizedRequest, response: RecordedResponse): TapeEntry {
  const llm = recognizeLlmCall(request, response);
  if (!llm) throw new Error(`not an LLM call: ${request.method} ${request.url}`);
  return { ...entryOf(step, 'http', request, response), llm };
}

export const OPENAI_CHAT = 'https://api.openai.com/v1/chat/completions';

const SUPPORT_REQUEST = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are the support agent of a shop. Use the tools to act.' },
    { role: 'user', content: 'Order 1042 arrived broken, please refund it.' },
  ],
  tools: [{ type: 'function', function: { name: 'issue_refund', parameters: { type: 'object', properties: { order_id: { type: 'string' } } } } }],
};

/** A chat completion whose answer is `text`. */
export function openAiAnswer(step: number, text: string): TapeEntry {
  return llmCall(
    step,
    postJson(OPENAI_CHAT, SUPPORT_REQUEST),
    jsonResponse({
      id: `chatcmpl-${step}`,
      object: 'chat.completion',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    }),
  );
}

/** A chat completion whose answer only calls a tool: no text. */
export function openAiToolCall(step: number, tool: string, args: unknown): TapeEntry {
  return llmCall(
    step,
    postJson(OPENAI_CHAT, SUPPORT_REQUEST),
    jsonResponse({
      id: `chatcmpl-${step}`,
      object: 'chat.completion',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: tool, arguments: JSON.stringify(args) } }] },
          finish_reason: 'tool_calls',
        },
      ],
    }),
  );
}

/**
 * An MCP `tools/call` as the MCP door records it: the operation `tools/call <tool>`, the server's
 * command line as the URL, the JSON-RPC method with its params as the body; a result is status 200
 * (`tool error` when the tool set isError), a JSON-RPC error status 0.
 */
export function mcpToolCall(step: number, tool: string, args: unknown, outcome: 'ok' | 'tool error' | 'rpc error' = 'ok'): TapeEntry {
  const data = canonicalJson({ method: 'tools/call', name: tool, arguments: args });
  const request: NormalizedRequest = {
    method: `tools/call ${tool}`,
    url: 'node servers/refunds-mcp.mjs',
    headers: {},
    body: { encoding: 'utf8', data, size: Buffer.byteLength(data) },
  };
  const answer =
    outcome === 'rpc error'
      ? { error: { code: -32602, message: 'Unknown tool' } }
      : { result: { content: [{ type: 'text', text: outcome === 'ok' ? 'refund r_77 issued' : 'order not found' }], isError: outcome === 'tool error' } };
  const response: RecordedResponse = {
    status: outcome === 'rpc error' ? 0 : 200,
    statusText: outcome === 'rpc error' ? '-32602' : outcome,
    headers: [],
    body: encodeBody(Buffer.from(JSON.stringify(answer))),
    complete: true,
    ...(outcome === 'rpc error' ? { error: 'Unknown tool' } : {}),
  };
  return { ...entryOf(step, 'mcp', request, response), sideEffect: true };
}

function entryOf(step: number, kind: TapeEntry['kind'], request: NormalizedRequest, response: RecordedResponse): TapeEntry {
  return {
    step,
    kind,
    spanId: step.toString(16).padStart(16, '0'),
    spanName: request.method,
    startTime: new Date(Date.UTC(2030, 0, 1, 0, 0, step)).toISOString(),
    durationMs: 5,
    inputHash: inputHash(request),
    request: { normalized: request, headers: [] },
    response,
  };
}
