import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
} from '../attributes.js';
import type { LlmCallInfo } from '../tape.js';

/** The GenAI semantic-convention attributes of an LLM call; fields it does not know are left out. */
export function llmSpanAttributes(info: LlmCallInfo): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    [ATTR_GEN_AI_PROVIDER_NAME]: info.provider,
    [ATTR_GEN_AI_OPERATION_NAME]: info.operation,
  };
  if (info.requestModel !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = info.requestModel;
  if (info.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = info.responseModel;
  if (info.inputTokens !== undefined) attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = info.inputTokens;
  if (info.outputTokens !== undefined) attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = info.outputTokens;
  return attributes;
}
