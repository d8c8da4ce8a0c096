import { llmAnswer } from '../../llm/chat-messages.js';
import { recognizeLlmRequest } from '../../llm/recognize.js';
import type { Tape } from '../../tape.js';

/** The text of an LLM answer and the step of the call that got it. */
export interface AssistantText {
  step: number;
  text: string;
}

/**
 * What the run's model last told the user: the text of the last LLM call's answer, plain or
 * streamed, whatever the API. An answer without text (only tool calls, or a failed call) is a step
 * on the way rather than what the user was told, so the last answer that has text is taken.
 * Undefined when no LLM call of the run answered with text.
 */
export function finalAssistantText(tape: Tape): AssistantText | undefined {
  const calls = tape.entries.filter((entry) => entry.llm !== undefined).sort((a, b) => b.step - a.step);
  for (const entry of calls) {
    const recognized = recognizeLlmRequest(entry.request.normalized);
    const text = recognized ? llmAnswer(recognized, entry.response)?.message.text : undefined;
    if (text !== undefined && text.trim() !== '') return { step: entry.step, text };
  }
  return undefined;
}
