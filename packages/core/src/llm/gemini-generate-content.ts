import type { RecordedResponse } from '../tape.js';
import { countField, isJsonObject, omitKeys, parseJson, pathOf, responseText, sseEvents, stringField, sumCounts, type JsonObject, type LlmRequestView } from './payload.js';
import type { LlmApiShape, LlmResponseInfo } from './shape.js';

/**
 * generationConfig fields that tune sampling. The REST API takes proto JSON, which accepts both
 * lowerCamelCase and the original snake_case names, so both are listed.
 */
export const GEMINI_TUNING_FIELDS: readonly string[] = [
  'temperature',
  'topP',
  'top_p',
  'topK',
  'top_k',
  'maxOutputTokens',
  'max_output_tokens',
  'seed',
  'presencePenalty',
  'presence_penalty',
  'frequencyPenalty',
  'frequency_penalty',
  'stopSequences',
  'stop_sequences',
];

// `…/models/gemini-2.0-flash:generateContent`, `…/tunedModels/x:streamGenerateContent`; on Vertex AI
// the same under `/projects/p/locations/l/publishers/google/models/…`.
const METHOD_PATH = /\/((?:tuned)?[mM]odels)\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** Google Gemini `generateContent` and `streamGenerateContent` (Gemini API and Vertex AI). */
export const geminiGenerateContent: LlmApiShape = {
  name: 'gemini.generateContent',
  pathMatches: (path) => METHOD_PATH.test(path),
  match(request) {
    const path = pathOf(request.url);
    if (!METHOD_PATH.test(path) || !Array.isArray(request.body.contents)) return undefined;
    return { provider: path.includes('/publishers/google/') ? 'gcp.vertex_ai' : 'gcp.gemini', operation: 'generate_content' };
  },
  requestModel: (request: LlmRequestView) => {
    const match = METHOD_PATH.exec(pathOf(request.url));
    if (!match) return undefined;
    try {
      return decodeURIComponent(match[2]!);
    } catch {
      return match[2]; // not valid percent-encoding: the segment as sent is still the best name
    }
  },
  readResponse(response: RecordedResponse): LlmResponseInfo {
    // Streamed with alt=sse it is server-sent events; without, one JSON array sent piece by piece.
    // Every piece carries the usage so far, so the last one counts.
    let info: LlmResponseInfo = {};
    for (const piece of responsePieces(response)) {
      const usage = piece.usageMetadata;
      info = {
        responseModel: stringField(piece, 'modelVersion') ?? info.responseModel,
        inputTokens: countField(usage, 'promptTokenCount') ?? info.inputTokens,
        // Thinking tokens are billed and counted as output; candidatesTokenCount leaves them out.
        outputTokens: sumCounts(countField(usage, 'candidatesTokenCount'), countField(usage, 'thoughtsTokenCount')) ?? info.outputTokens,
      };
    }
    return info;
  },
  withoutTuning(request) {
    const url = new URL(request.url.href);
    url.pathname = url.pathname.replace(METHOD_PATH, (_all, kind: string, _model: string, method: string) => `/${kind}/{model}:${method}`);
    const body = { ...request.body };
    for (const key of ['generationConfig', 'generation_config']) {
      const config = body[key];
      if (!isJsonObject(config)) continue;
      const rest = omitKeys(config, GEMINI_TUNING_FIELDS);
      // A config left empty is the same request as no config at all.
      if (Object.keys(rest).length === 0) delete body[key];
      else body[key] = rest;
    }
    return { url: url.href, body };
  },
};

function responsePieces(response: RecordedResponse): JsonObject[] {
  if (response.status < 200 || response.status >= 300) return [];
  if (response.chunks) {
    const whole = parseJson(responseText(response) ?? '');
    if (Array.isArray(whole)) return whole.filter(isJsonObject);
    return sseEvents(response)
      .map((event) => event.data)
      .filter(isJsonObject);
  }
  const body = parseJson(responseText(response) ?? '');
  if (Array.isArray(body)) return body.filter(isJsonObject);
  return isJsonObject(body) ? [body] : [];
}
