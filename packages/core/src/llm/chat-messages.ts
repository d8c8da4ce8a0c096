import type { RecordedResponse } from '../tape.js';
import { isJsonObject, responseJson, sseEvents, stringField, type JsonObject } from './payload.js';
import type { RecognizedLlmRequest } from './recognize.js';

/*
 * An LLM call as the messages a person reads: what the model was sent, and what it answered. The
 * four APIs tracetape knows lay these out differently (and stream them differently), so each has a
 * reader. The UI's chat view shows these; findings read the answer's text (what the model told the user).
 */

export interface LlmChatToolCall {
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
  id?: string;
}

export interface LlmChatMessage {
  /** system, user, assistant, tool. */
  role: string;
  text: string;
  toolCalls?: LlmChatToolCall[];
  /** For a tool result: the call it answers. */
  toolCallId?: string;
}

/** The model's answer: one assistant message (its text, then every tool call it made), and why the model stopped. */
export interface LlmAnswer {
  message: LlmChatMessage;
  finishReason?: string;
}

/** How one LLM API lays out a conversation: the messages of its request, the answer in its response. */
interface ApiReader {
  request(body: JsonObject): LlmChatMessage[];
  /** Undefined when there is no answer to read (the call failed, or got an error answer). */
  answer(response: RecordedResponse): LlmAnswer | undefined;
}

/** The messages a recognised LLM call sent, in order; empty for an API without a reader. */
export function llmRequestMessages(recognized: RecognizedLlmRequest): LlmChatMessage[] {
  return READERS[recognized.shape.name]?.request(recognized.view.body) ?? [];
}

/** What the model answered a recognised LLM call, plain or streamed; undefined when there is no answer to read. */
export function llmAnswer(recognized: RecognizedLlmRequest, response: RecordedResponse): LlmAnswer | undefined {
  return READERS[recognized.shape.name]?.answer(response);
}

// Keyed by the names core's LLM API shapes go by (LlmApiShape.name).
const READERS: Record<string, ApiReader> = {
  'openai.chat.completions': { request: openAiChatRequest, answer: openAiChatAnswer },
  'openai.responses': { request: responsesRequest, answer: responsesAnswer },
  'anthropic.messages': { request: anthropicRequest, answer: anthropicAnswer },
  'gemini.generateContent': { request: geminiRequest, answer: geminiAnswer },
};

// ---- OpenAI chat completions ----

function openAiChatRequest(body: JsonObject): LlmChatMessage[] {
  return arrayOf(body.messages).filter(isJsonObject).map(openAiLlmChatMessage);
}

function openAiLlmChatMessage(item: JsonObject): LlmChatMessage {
  const calls = arrayOf(item.tool_calls).filter(isJsonObject).map(openAiToolCall);
  // A refusal is what the model answered instead of content.
  const text = partsText(item.content) || (stringField(item, 'refusal') ?? '');
  return message(stringField(item, 'role') ?? 'user', text, calls, stringField(item, 'tool_call_id'));
}

function openAiToolCall(call: JsonObject): LlmChatToolCall {
  const fn = isJsonObject(call.function) ? call.function : {};
  return toolCall(stringField(fn, 'name') ?? '', fn.arguments, stringField(call, 'id'));
}

function openAiChatAnswer(response: RecordedResponse): LlmAnswer | undefined {
  const events = streamData(response);
  const choice = events.length > 0 ? assembleChatChoice(events) : indexZero(objectField(responseJson(response), 'choices'));
  if (!choice) return undefined;
  const answer = openAiLlmChatMessage(isJsonObject(choice.message) ? choice.message : {});
  return { message: { ...answer, role: 'assistant' }, finishReason: stringField(choice, 'finish_reason') };
}

/**
 * A streamed chat completion put back together as the choice a plain response holds. Content comes
 * in pieces; a tool call's id and name come in its first delta and its arguments in pieces after,
 * all under the call's `index`. Only the first choice is read (the one a request without `n` gets).
 */
function assembleChatChoice(events: unknown[]): JsonObject {
  let content = '';
  let refusal = '';
  let finishReason: unknown;
  const calls: Array<{ id?: string; name: string; arguments: string }> = [];
  for (const data of events) {
    const choice = indexZero(objectField(data, 'choices'));
    if (!choice) continue;
    finishReason = choice.finish_reason ?? finishReason;
    const delta = isJsonObject(choice.delta) ? choice.delta : {};
    content += stringField(delta, 'content') ?? '';
    refusal += stringField(delta, 'refusal') ?? '';
    for (const part of arrayOf(delta.tool_calls).filter(isJsonObject)) addCallDelta(calls, part);
  }
  const toolCalls = calls.map((call) => ({ id: call.id, function: { name: call.name, arguments: call.arguments } }));
  return { message: { role: 'assistant', content, refusal, tool_calls: toolCalls }, finish_reason: finishReason };
}

function addCallDelta(calls: Array<{ id?: string; name: string; arguments: string }>, part: JsonObject): void {
  // Some OpenAI-compatible servers leave `index` out and send each call whole, with its own id.
  const index = typeof part.index === 'number' ? part.index : part.id !== undefined ? calls.length : Math.max(calls.length - 1, 0);
  const call = (calls[index] ??= { name: '', arguments: '' });
  const fn = isJsonObject(part.function) ? part.function : {};
  call.id = stringField(part, 'id') ?? call.id;
  call.name ||= stringField(fn, 'name') ?? '';
  call.arguments += stringField(fn, 'arguments') ?? '';
}

// ---- OpenAI responses ----

function responsesRequest(body: JsonObject): LlmChatMessage[] {
  const messages: LlmChatMessage[] = [];
  const instructions = partsText(body.instructions);
  if (instructions) messages.push(message('system', instructions));
  if (typeof body.input === 'string') messages.push(message('user', body.input));
  for (const item of arrayOf(body.input)) addResponsesItem(messages, item);
  return messages;
}

/** One input or output item: a message, a function call, or a call's output. Reasoning and built-in tool items are left out. */
function addResponsesItem(messages: LlmChatMessage[], item: unknown): void {
  if (!isJsonObject(item)) return;
  const type = stringField(item, 'type') ?? 'message';
  if (type === 'message') messages.push(message(stringField(item, 'role') ?? 'user', partsText(item.content)));
  else if (type === 'function_call') addToolCall(messages, toolCall(stringField(item, 'name') ?? '', item.arguments, stringField(item, 'call_id')));
  else if (type === 'function_call_output') messages.push(message('tool', partsText(item.output), [], stringField(item, 'call_id')));
}

/** Each function call is an item of its own; a person reads it as part of the assistant turn it follows. */
function addToolCall(messages: LlmChatMessage[], call: LlmChatToolCall): void {
  const last = messages.at(-1);
  if (last?.role === 'assistant') last.toolCalls = [...(last.toolCalls ?? []), call];
  else messages.push(message('assistant', '', [call]));
}

function responsesAnswer(response: RecordedResponse): LlmAnswer | undefined {
  const events = streamData(response);
  const final = events.length > 0 ? lastResponseObject(events) : responseJson(response);
  if (!isJsonObject(final) && events.length === 0) return undefined;
  const output = arrayOf(objectField(final, 'output'));
  const parts: LlmChatMessage[] = [];
  for (const item of output.length > 0 ? output : assembleResponsesOutput(events)) addResponsesItem(parts, item);
  return { message: joinAnswer(parts), finishReason: responsesFinish(final) };
}

/** `completed`, `failed`…, or for an answer cut short why (`max_output_tokens`, `content_filter`). */
function responsesFinish(final: unknown): string | undefined {
  const status = stringField(final, 'status');
  return status === 'incomplete' ? (stringField(objectField(final, 'incomplete_details'), 'reason') ?? status) : status;
}

/** The response object of the last lifecycle event (created, in_progress, then completed, incomplete or failed). */
function lastResponseObject(events: unknown[]): JsonObject | undefined {
  let last: JsonObject | undefined;
  for (const data of events) {
    const object = objectField(data, 'response');
    if (isJsonObject(object)) last = object;
  }
  return last;
}

/**
 * A stream that ended before its final event, whose response object would list the output: the
 * output items from their added/done events, with text and arguments from the deltas in between.
 */
function assembleResponsesOutput(events: unknown[]): JsonObject[] {
  const items = new Map<number, JsonObject>();
  const deltas = new Map<number, string>();
  for (const data of events) {
    if (!isJsonObject(data) || typeof data.output_index !== 'number') continue;
    const index = data.output_index;
    if ((data.type === 'response.output_item.added' || data.type === 'response.output_item.done') && isJsonObject(data.item)) items.set(index, data.item);
    else if ((data.type === 'response.output_text.delta' || data.type === 'response.function_call_arguments.delta') && typeof data.delta === 'string') {
      deltas.set(index, (deltas.get(index) ?? '') + data.delta);
    }
  }
  return [...items.keys()].sort((a, b) => a - b).map((index) => withDeltas(items.get(index)!, deltas.get(index)));
}

/** An item's done event repeats its whole text or arguments; before that, only the deltas hold them. */
function withDeltas(item: JsonObject, streamed: string | undefined): JsonObject {
  if (streamed === undefined) return item;
  if (item.type === 'function_call') return stringField(item, 'arguments') ? item : { ...item, arguments: streamed };
  return partsText(item.content) ? item : { ...item, content: [{ type: 'output_text', text: streamed }] };
}

// ---- Anthropic messages ----

function anthropicRequest(body: JsonObject): LlmChatMessage[] {
  const system = partsText(body.system);
  const messages = system ? [message('system', system)] : [];
  for (const item of arrayOf(body.messages).filter(isJsonObject)) messages.push(...anthropicMessages(stringField(item, 'role') ?? 'user', item.content));
  return messages;
}

/**
 * One Anthropic message as a person reads it. Tool results travel inside a user message, several
 * to one message; each is split out as a `tool` message answering its call.
 */
function anthropicMessages(role: string, content: unknown): LlmChatMessage[] {
  if (!Array.isArray(content)) return [message(role, partsText(content))];
  const out: LlmChatMessage[] = [];
  let blocks: unknown[] = [];
  let calls: LlmChatToolCall[] = [];
  const flush = (): void => {
    if (blocks.length > 0 || calls.length > 0) out.push(message(role, partsText(blocks), calls));
    blocks = [];
    calls = [];
  };
  for (const block of content) {
    if (isJsonObject(block) && block.type === 'tool_result') {
      flush();
      out.push(message('tool', partsText(block.content), [], stringField(block, 'tool_use_id')));
    } else if (isJsonObject(block) && block.type === 'tool_use') calls.push(toolCall(stringField(block, 'name') ?? '', block.input, stringField(block, 'id')));
    else blocks.push(block);
  }
  flush();
  return out;
}

function anthropicAnswer(response: RecordedResponse): LlmAnswer | undefined {
  const events = streamData(response);
  const body = events.length > 0 ? assembleAnthropicMessage(events) : responseJson(response);
  if (!isJsonObject(body)) return undefined;
  return { message: joinAnswer(anthropicMessages('assistant', body.content)), finishReason: stringField(body, 'stop_reason') };
}

/**
 * A streamed message put back together: each content block from its start event and the deltas
 * that follow under its index, the stop reason from message_delta. A tool call's input streams as
 * pieces of JSON text; joined, they are its arguments as the model wrote them.
 */
function assembleAnthropicMessage(events: unknown[]): JsonObject {
  const blocks: JsonObject[] = [];
  let stopReason: unknown;
  for (const data of events) {
    if (!isJsonObject(data)) continue;
    const delta = isJsonObject(data.delta) ? data.delta : {};
    if (data.type === 'message_delta') stopReason = delta.stop_reason ?? stopReason;
    if (typeof data.index !== 'number') continue;
    if (data.type === 'content_block_start' && isJsonObject(data.content_block)) blocks[data.index] = { ...data.content_block };
    const block = blocks[data.index];
    if (data.type !== 'content_block_delta' || !block) continue;
    if (delta.type === 'text_delta') block.text = (stringField(block, 'text') ?? '') + (stringField(delta, 'text') ?? '');
    if (delta.type === 'input_json_delta') block.input = (typeof block.input === 'string' ? block.input : '') + (stringField(delta, 'partial_json') ?? '');
  }
  return { content: blocks.filter(isJsonObject), stop_reason: stopReason };
}

// ---- Gemini generateContent ----

function geminiRequest(body: JsonObject): LlmChatMessage[] {
  const instruction = body.systemInstruction ?? body.system_instruction;
  const system = typeof instruction === 'string' ? instruction : partsText(objectField(instruction, 'parts'));
  const messages = system ? [message('system', system)] : [];
  for (const content of arrayOf(body.contents).filter(isJsonObject)) messages.push(...geminiContent(content));
  return messages;
}

/** One Gemini content: its text and function calls as one message, each function response as a tool message. */
function geminiContent(content: JsonObject): LlmChatMessage[] {
  const role = content.role === 'model' ? 'assistant' : (stringField(content, 'role') ?? 'user');
  const texts: unknown[] = [];
  const calls: LlmChatToolCall[] = [];
  const results: LlmChatMessage[] = [];
  for (const part of arrayOf(content.parts).filter(isJsonObject)) {
    const call = part.functionCall ?? part.function_call;
    const result = part.functionResponse ?? part.function_response;
    if (isJsonObject(call)) calls.push(toolCall(stringField(call, 'name') ?? '', call.args ?? {}, geminiCallId(call)));
    else if (isJsonObject(result)) results.push(message('tool', argumentsText(result.response), [], geminiCallId(result)));
    else texts.push(part);
  }
  const text = partsText(texts);
  return [...(text || calls.length > 0 ? [message(role, text, calls)] : []), ...results];
}

/** Gemini pairs a response with its call by function name when the call has no id (most models give none). */
function geminiCallId(part: JsonObject): string | undefined {
  return stringField(part, 'id') ?? stringField(part, 'name');
}

function geminiAnswer(response: RecordedResponse): LlmAnswer | undefined {
  const pieces = geminiPieces(response);
  if (pieces.length === 0) return undefined;
  const parts: JsonObject[] = [];
  let finishReason: string | undefined;
  for (const piece of pieces) {
    const candidate = indexZero(objectField(piece, 'candidates'));
    finishReason = stringField(candidate, 'finishReason') ?? finishReason;
    for (const part of arrayOf(objectField(objectField(candidate, 'content'), 'parts')).filter(isJsonObject)) appendGeminiPart(parts, part);
  }
  return { message: joinAnswer(geminiContent({ role: 'model', parts })), finishReason };
}

/** The response's pieces: one plain body, a stream sent as one JSON array, or server-sent events (alt=sse). */
function geminiPieces(response: RecordedResponse): unknown[] {
  const whole = responseJson(response);
  if (Array.isArray(whole)) return whole;
  if (whole !== undefined) return [whole];
  return sseEvents(response).map((event) => event.data);
}

/** Streamed text comes in parts that continue one another, so a text part extends the one before it. */
function appendGeminiPart(parts: JsonObject[], part: JsonObject): void {
  const last = parts.at(-1);
  const lastText = stringField(last, 'text');
  if (last && lastText !== undefined && typeof part.text === 'string' && last.thought === part.thought) last.text = lastText + part.text;
  else parts.push({ ...part });
}

// ---- shared ----

/** The text of a content field of any API: a string, or a list of parts of which the text ones are read. */
function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  return arrayOf(content).map(partText).filter(Boolean).join('\n');
}

function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  // Gemini's thought summaries are the model thinking aloud, not what it answered.
  if (!isJsonObject(part) || part.thought === true) return '';
  const text = stringField(part, 'text') ?? stringField(part, 'refusal');
  if (text !== undefined) return text;
  // Attachments are named rather than shown, so a reader still sees an image or a file was sent.
  const type = stringField(part, 'type');
  if (type && /image|audio|file|document/.test(type)) return `[${type}]`;
  const data = part.inlineData ?? part.inline_data ?? part.fileData ?? part.file_data;
  return isJsonObject(data) ? `[${stringField(data, 'mimeType') ?? stringField(data, 'mime_type') ?? 'file'}]` : '';
}

/** The answer as one assistant message: the text of its parts, then every tool call it made. */
function joinAnswer(parts: LlmChatMessage[]): LlmChatMessage {
  const text = parts
    .map((part) => part.text)
    .filter(Boolean)
    .join('\n');
  return message('assistant', text, parts.flatMap((part) => part.toolCalls ?? []));
}

function message(role: string, text: string, toolCalls: LlmChatToolCall[] = [], toolCallId?: string): LlmChatMessage {
  const out: LlmChatMessage = { role, text };
  if (toolCalls.length > 0) out.toolCalls = toolCalls;
  if (toolCallId !== undefined) out.toolCallId = toolCallId;
  return out;
}

function toolCall(name: string, args: unknown, id: string | undefined): LlmChatToolCall {
  const call: LlmChatToolCall = { name, arguments: argumentsText(args) };
  if (id !== undefined) call.id = id;
  return call;
}

/** Arguments as JSON text: OpenAI sends them as text already (kept as written), Anthropic and Gemini as objects. */
function argumentsText(args: unknown): string {
  if (typeof args === 'string') return args;
  return args === undefined ? '{}' : JSON.stringify(args);
}

/** The parsed events of a streamed response; empty for a plain one (or a stream that was not SSE). */
function streamData(response: RecordedResponse): unknown[] {
  return response.chunks ? sseEvents(response).map((event) => event.data) : [];
}

/** The item of a choices or candidates list that answers a request for one (index 0). */
function indexZero(list: unknown): JsonObject | undefined {
  return arrayOf(list)
    .filter(isJsonObject)
    .find((item) => (item.index ?? 0) === 0);
}

function objectField(object: unknown, key: string): unknown {
  return isJsonObject(object) ? object[key] : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
