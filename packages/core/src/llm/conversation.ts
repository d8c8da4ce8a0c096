import type { NormalizedRequest, RecordedResponse } from '../tape.js';
import { isJsonObject, responseJson, sseEvents, viewRequest, type JsonObject } from './payload.js';

/** One message of an LLM conversation, as a person reads it. */
export interface ConversationMessage {
  /** system, user, assistant, tool (whatever role name the API uses). */
  role: string;
  /** The text parts joined; tool calls and results are named in brackets. */
  text: string;
}

/** What an LLM call said and did, read from its payloads whatever the API (OpenAI, Anthropic, Gemini). */
export interface LlmConversation {
  messages: ConversationMessage[];
  /** Tools the request offered the model. */
  offeredTools: string[];
  /**
   * Tools the model called in its answer, each named once in order of first call (a streamed
   * answer may name a call twice: when it starts and again in the final event).
   */
  calledTools: string[];
}

/**
 * The conversation an LLM call carried. Read by shape rather than per API: the four APIs tracetape
 * knows keep messages in `messages` (OpenAI chat, Anthropic), `input` (OpenAI responses) or
 * `contents` (Gemini), and name tools and tool calls in a handful of ways this reads all of.
 */
export function llmConversation(request: NormalizedRequest, response?: RecordedResponse): LlmConversation | undefined {
  const view = viewRequest(request);
  if (!view) return undefined;
  const body = view.body;
  const messages: ConversationMessage[] = [];
  for (const key of ['system', 'instructions', 'systemInstruction', 'system_instruction']) {
    const text = contentText(body[key]);
    if (text) messages.push({ role: 'system', text });
  }
  const list = Array.isArray(body.messages) ? body.messages : Array.isArray(body.contents) ? body.contents : body.input;
  if (typeof list === 'string') messages.push({ role: 'user', text: list });
  else if (Array.isArray(list)) {
    for (const item of list) {
      if (!isJsonObject(item)) continue;
      const role = typeof item.role === 'string' ? item.role : typeof item.type === 'string' ? item.type : 'message';
      const text = contentText(item.content ?? item.parts ?? item.output ?? item.arguments) || toolCallsText(item);
      messages.push({ role, text });
    }
  }
  return { messages, offeredTools: offeredTools(body.tools), calledTools: response ? calledTools(response) : [] };
}

/** The text of the last user message that has any: what the call was asked, in short. */
export function lastUserText(conversation: LlmConversation): string | undefined {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const message = conversation.messages[i]!;
    if (message.role === 'user' && message.text && !/^\[tool result/.test(message.text)) return message.text;
  }
  return undefined;
}

/** A content field of any API: a string, or a list of parts with text, tool calls and tool results. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (isJsonObject(content)) return contentText(content.parts ?? content.text ?? content.content);
  if (!Array.isArray(content)) return '';
  return content
    .map((part): string => {
      if (typeof part === 'string') return part;
      if (!isJsonObject(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (part.type === 'tool_use' && typeof part.name === 'string') return `[tool call ${part.name}]`;
      if (part.type === 'tool_result') return `[tool result${typeof part.tool_use_id === 'string' ? ` ${part.tool_use_id}` : ''}] ${contentText(part.content)}`.trimEnd();
      if (isJsonObject(part.functionCall) && typeof part.functionCall.name === 'string') return `[tool call ${part.functionCall.name}]`;
      if (isJsonObject(part.functionResponse) && typeof part.functionResponse.name === 'string') return `[tool result ${part.functionResponse.name}]`;
      return '';
    })
    .filter(Boolean)
    .join('\n');
}

/** An assistant message's OpenAI-style `tool_calls`, or a responses-API function call item. */
function toolCallsText(item: JsonObject): string {
  if (Array.isArray(item.tool_calls)) return item.tool_calls.map((call) => `[tool call ${toolName(call) ?? '?'}]`).join(' ');
  if (item.type === 'function_call' && typeof item.name === 'string') return `[tool call ${item.name}]`;
  if (item.type === 'function_call_output') return '[tool result]';
  return '';
}

function offeredTools(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  const names: string[] = [];
  for (const tool of tools) {
    if (!isJsonObject(tool)) continue;
    // Gemini groups its functions in one tool.
    const declarations = tool.functionDeclarations ?? tool.function_declarations;
    if (Array.isArray(declarations)) names.push(...declarations.map(toolName).filter((n): n is string => n !== undefined));
    else {
      const name = toolName(tool) ?? (typeof tool.type === 'string' ? tool.type : undefined);
      if (name) names.push(name);
    }
  }
  return names;
}

function toolName(tool: unknown): string | undefined {
  if (!isJsonObject(tool)) return undefined;
  if (isJsonObject(tool.function) && typeof tool.function.name === 'string') return tool.function.name;
  return typeof tool.name === 'string' ? tool.name : undefined;
}

/** Tool calls in a response, whole or streamed (where a call's name comes once, in its first event). */
function calledTools(response: RecordedResponse): string[] {
  const documents = response.chunks ? sseEvents(response).map((event) => event.data) : [responseJson(response)];
  const names: string[] = [];
  const visit = (value: unknown, inToolCalls: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, inToolCalls);
      return;
    }
    if (!isJsonObject(value)) return;
    if (inToolCalls) {
      const name = toolName(value);
      if (name) names.push(name);
      return;
    }
    if ((value.type === 'tool_use' || value.type === 'function_call') && typeof value.name === 'string') names.push(value.name);
    else if (isJsonObject(value.functionCall) && typeof value.functionCall.name === 'string') names.push(value.functionCall.name);
    for (const [key, child] of Object.entries(value)) visit(child, key === 'tool_calls');
  };
  for (const document of documents) visit(document, false);
  return [...new Set(names)];
}
