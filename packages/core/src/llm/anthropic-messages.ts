import type { RecordedResponse } from '../tape.js';
import { countField, isJsonObject, omitKeys, pathOf, responseJson, sseEvents, stringField, sumCounts } from './payload.js';
import type { LlmApiShape, LlmResponseInfo } from './shape.js';

/** Request fields of the Messages API that choose or tune the model. */
export const ANTHROPIC_MESSAGES_TUNING_FIELDS: readonly string[] = ['model', 'temperature', 'top_p', 'top_k', 'max_tokens', 'stop_sequences'];

/** Anthropic `POST …/v1/messages`. */
export const anthropicMessages: LlmApiShape = {
  name: 'anthropic.messages',
  pathMatches: (path) => path.endsWith('/messages'),
  match(request) {
    const { body } = request;
    if (!anthropicMessages.pathMatches(pathOf(request.url)) || !Array.isArray(body.messages) || stringField(body, 'model') === undefined) {
      return undefined;
    }
    return { provider: 'anthropic', operation: 'chat' };
  },
  requestModel: (request) => stringField(request.body, 'model'),
  readResponse(response: RecordedResponse): LlmResponseInfo {
    if (response.chunks) {
      // Streamed: message_start holds the message (model, input usage); each message_delta holds
      // the usage so far, cumulative, so the last one has the final output count.
      let model: string | undefined;
      let usage: Record<string, unknown> = {};
      for (const { data } of sseEvents(response)) {
        if (!isJsonObject(data)) continue;
        if (data.type === 'message_start' && isJsonObject(data.message)) {
          model = stringField(data.message, 'model');
          if (isJsonObject(data.message.usage)) usage = { ...data.message.usage };
        } else if (data.type === 'message_delta' && isJsonObject(data.usage)) {
          for (const [key, value] of Object.entries(data.usage)) if (value !== null) usage[key] = value;
        }
      }
      return { responseModel: model, ...usageOf(usage) };
    }
    const body = responseJson(response);
    return { responseModel: stringField(body, 'model'), ...(isJsonObject(body) ? usageOf(body.usage) : {}) };
  },
  withoutTuning: (request) => ({ url: request.url.href, body: omitKeys(request.body, ANTHROPIC_MESSAGES_TUNING_FIELDS) }),
};

/**
 * Anthropic counts cache reads and cache writes apart from `input_tokens`; the GenAI conventions
 * want them inside gen_ai.usage.input_tokens, as OpenAI and Gemini report them.
 */
function usageOf(usage: unknown): LlmResponseInfo {
  return {
    inputTokens: sumCounts(
      countField(usage, 'input_tokens'),
      countField(usage, 'cache_read_input_tokens'),
      countField(usage, 'cache_creation_input_tokens'),
    ),
    outputTokens: countField(usage, 'output_tokens'),
  };
}
