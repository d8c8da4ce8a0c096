import type { RecordedResponse } from '../tape.js';
import { countField, isJsonObject, omitKeys, pathOf, responseJson, sseEvents, stringField } from './payload.js';
import type { LlmApiShape, LlmResponseInfo } from './shape.js';
import { openAiProvider } from './openai-provider.js';

/** Request fields of the Responses API that choose or tune the model. */
export const OPENAI_RESPONSES_TUNING_FIELDS: readonly string[] = ['model', 'temperature', 'top_p', 'max_output_tokens'];

/** OpenAI `POST …/responses`. */
export const openAiResponses: LlmApiShape = {
  name: 'openai.responses',
  pathMatches: (path) => path.endsWith('/responses'),
  match(request) {
    if (!openAiResponses.pathMatches(pathOf(request.url)) || stringField(request.body, 'model') === undefined) return undefined;
    return { provider: openAiProvider(request.url), operation: 'chat' };
  },
  requestModel: (request) => stringField(request.body, 'model'),
  readResponse(response: RecordedResponse): LlmResponseInfo {
    if (response.chunks) {
      // Streamed: response.created names the model, response.completed (or .incomplete/.failed)
      // carries the final response object with its usage. The last one seen wins.
      let info: LlmResponseInfo = {};
      for (const { data } of sseEvents(response)) {
        if (isJsonObject(data) && isJsonObject(data.response)) info = merge(info, fromResponseObject(data.response));
      }
      return info;
    }
    return fromResponseObject(responseJson(response));
  },
  withoutTuning: (request) => ({ url: request.url.href, body: omitKeys(request.body, OPENAI_RESPONSES_TUNING_FIELDS) }),
};

function fromResponseObject(object: unknown): LlmResponseInfo {
  const usage = isJsonObject(object) ? object.usage : undefined;
  return {
    responseModel: stringField(object, 'model'),
    inputTokens: countField(usage, 'input_tokens'),
    outputTokens: countField(usage, 'output_tokens'),
  };
}

function merge(before: LlmResponseInfo, after: LlmResponseInfo): LlmResponseInfo {
  return {
    responseModel: after.responseModel ?? before.responseModel,
    inputTokens: after.inputTokens ?? before.inputTokens,
    outputTokens: after.outputTokens ?? before.outputTokens,
  };
}
