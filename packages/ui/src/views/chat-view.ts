/*
 * An LLM call as a conversation a person reads: the messages the model was sent, then its answer.
 * Core reads the messages and the answer per API (llm/chat-messages.ts); tools offered, models and
 * token counts come from what core already read.
 */
import { llmAnswer, llmConversation, llmRequestMessages, recognizeLlmRequest, type TapeEntry } from '@tracetape/core';
import type { ChatView } from '../api.js';

/**
 * The conversation of a recorded LLM call; undefined for a step that is not one. A request whose
 * body can no longer be read as its API's still gets a view, with the call's models and counts.
 */
export function chatView(entry: TapeEntry): ChatView | undefined {
  const llm = entry.llm;
  if (!llm) return undefined;
  const recognized = recognizeLlmRequest(entry.request.normalized);
  const messages = recognized ? llmRequestMessages(recognized) : [];
  const answer = recognized ? llmAnswer(recognized, entry.response) : undefined;
  if (answer) messages.push(answer.message);
  return {
    provider: llm.provider,
    operation: llm.operation,
    requestModel: llm.requestModel,
    responseModel: llm.responseModel,
    inputTokens: llm.inputTokens,
    outputTokens: llm.outputTokens,
    finishReason: answer?.finishReason,
    messages,
    offeredTools: llmConversation(entry.request.normalized)?.offeredTools ?? [],
  };
}
