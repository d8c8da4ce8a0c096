// LLM awareness: recognising calls to LLM APIs from their payloads, and telling a model drift
// apart from other divergences. Pure functions over recorded payloads, no I/O.
export { ANTHROPIC_MESSAGES_TUNING_FIELDS } from './anthropic-messages.js';
export { allowanceText, isModelDriftAllowed, modelDriftBetween, parseModelDriftAllowances, type ModelDrift, type ModelDriftAllowance } from './drift.js';
export { GEMINI_TUNING_FIELDS } from './gemini-generate-content.js';
export { OPENAI_CHAT_TUNING_FIELDS } from './openai-chat.js';
export { OPENAI_RESPONSES_TUNING_FIELDS } from './openai-responses.js';
export { LLM_API_SHAPES, recognizeLlmCall, recognizeLlmRequest, type RecognizedLlmRequest } from './recognize.js';
export type { LlmApiShape, LlmCallKind, LlmResponseInfo } from './shape.js';
export { llmSpanAttributes } from './span-attributes.js';
export { lastUserText, llmConversation, type ConversationMessage, type LlmConversation } from './conversation.js';
export { llmAnswer, llmRequestMessages, type LlmAnswer, type LlmChatMessage, type LlmChatToolCall } from './chat-messages.js';
// Payload readers, for views that take an LLM call's payloads further apart.
export { isJsonObject, parseJson, responseJson, responseText, sseEvents, stringField, type JsonObject, type SseEvent } from './payload.js';
