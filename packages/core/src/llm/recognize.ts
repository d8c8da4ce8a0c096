import type { LlmCallInfo, NormalizedRequest, RecordedResponse } from '../tape.js';
import { anthropicMessages } from './anthropic-messages.js';
import { geminiGenerateContent } from './gemini-generate-content.js';
import { openAiChatCompletions } from './openai-chat.js';
import { openAiResponses } from './openai-responses.js';
import { pathOf, viewRequest, type LlmRequestView } from './payload.js';
import type { LlmApiShape, LlmCallKind } from './shape.js';

/** Every LLM API shape tracetape knows, tried in order; the first that matches wins. */
export const LLM_API_SHAPES: readonly LlmApiShape[] = [openAiChatCompletions, openAiResponses, anthropicMessages, geminiGenerateContent];

/** A request recognised as an LLM API call, with what the drift check needs to compare it. */
export interface RecognizedLlmRequest extends LlmCallKind {
  shape: LlmApiShape;
  view: LlmRequestView;
  requestModel?: string;
}

/** The LLM API a request calls, judged from its URL path and body shape; undefined for anything else. */
export function recognizeLlmRequest(request: NormalizedRequest): RecognizedLlmRequest | undefined {
  // Most calls an app makes are no model call: the path says so before the body is parsed.
  const path = urlPath(request.url);
  if (path === undefined || !LLM_API_SHAPES.some((shape) => shape.pathMatches(path))) return undefined;
  const view = viewRequest(request);
  if (!view) return undefined;
  for (const shape of LLM_API_SHAPES) {
    const kind = shape.match(view);
    if (!kind) continue;
    const recognized: RecognizedLlmRequest = { ...kind, shape, view };
    const model = shape.requestModel(view);
    if (model !== undefined) recognized.requestModel = model;
    return recognized;
  }
  return undefined;
}

/**
 * What an LLM call was, read from its recorded payloads: provider, operation, the model asked for,
 * and (when there is a response) the model that answered and its token counts. Undefined when the
 * request is not a call to a known LLM API.
 */
export function recognizeLlmCall(request: NormalizedRequest, response?: RecordedResponse): LlmCallInfo | undefined {
  const recognized = recognizeLlmRequest(request);
  if (!recognized) return undefined;
  const info: LlmCallInfo = { provider: recognized.provider, operation: recognized.operation };
  if (recognized.requestModel !== undefined) info.requestModel = recognized.requestModel;
  if (response) {
    const read = recognized.shape.readResponse(response);
    if (read.responseModel !== undefined) info.responseModel = read.responseModel;
    if (read.inputTokens !== undefined) info.inputTokens = read.inputTokens;
    if (read.outputTokens !== undefined) info.outputTokens = read.outputTokens;
  }
  return info;
}

function urlPath(url: string): string | undefined {
  try {
    return pathOf(new URL(url));
  } catch {
    return undefined;
  }
}
