import type { RecordedResponse } from '../tape.js';
import { countField, isJsonObject, omitKeys, pathOf, responseJson, sseEvents, stringField, type LlmRequestView } from './payload.js';
import type { LlmApiShape, LlmResponseInfo } from './shape.js';
import { openAiProvider } from './openai-provider.js';

/** Request fields of chat completions that choose or tune the model rather than say what to do. */
export const OPENAI_CHAT_TUNING_FIELDS: readonly string[] = [
  'model',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'stop',
];

/** OpenAI `POST …/chat/completions`, which most OpenAI-compatible servers speak too. */
export const openAiChatCompletions: LlmApiShape = {
  name: 'openai.chat.completions',
  pathMatches: (path) => path.endsWith('/chat/completions'),
  match(request) {
    if (!openAiChatCompletions.pathMatches(pathOf(request.url)) || !Array.isArray(request.body.messages)) return undefined;
    return { provider: openAiProvider(request.url), operation: 'chat' };
  },
  requestModel: (request: LlmRequestView) => stringField(request.body, 'model'),
  readResponse(response: RecordedResponse): LlmResponseInfo {
    if (response.chunks) {
      // Streamed: every chunk names the model; usage arrives only in a final chunk, and only when
      // the request asked for it (stream_options.include_usage).
      const info: LlmResponseInfo = {};
      for (const { data } of sseEvents(response)) {
        info.responseModel = stringField(data, 'model') ?? info.responseModel;
        if (isJsonObject(data) && isJsonObject(data.usage)) Object.assign(info, usageOf(data.usage));
      }
      return info;
    }
    const body = responseJson(response);
    return { responseModel: stringField(body, 'model'), ...(isJsonObject(body) ? usageOf(body.usage) : {}) };
  },
  withoutTuning: (request) => ({ url: request.url.href, body: omitKeys(request.body, OPENAI_CHAT_TUNING_FIELDS) }),
};

function usageOf(usage: unknown): LlmResponseInfo {
  return { inputTokens: countField(usage, 'prompt_tokens'), outputTokens: countField(usage, 'completion_tokens') };
}
