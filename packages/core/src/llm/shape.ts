import type { RecordedResponse } from '../tape.js';
import type { JsonObject, LlmRequestView } from './payload.js';

/** What a response says about the call: the model that answered and the tokens it counted. */
export interface LlmResponseInfo {
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
}

/** The identity of a call as the OpenTelemetry GenAI conventions name it. */
export interface LlmCallKind {
  /** gen_ai.provider.name */
  provider: string;
  /** gen_ai.operation.name */
  operation: string;
}

/**
 * One LLM API shape (OpenAI chat completions, Anthropic messages…): how to recognise its requests,
 * read its responses, streamed or not, and which request fields only tune the model.
 */
export interface LlmApiShape {
  readonly name: string;
  /**
   * Whether a URL path (as {@link pathOf} gives it) can be this API's: checked before the body is
   * parsed, so a call to anything else costs no parse.
   */
  pathMatches(path: string): boolean;
  /** The provider and operation when the request is a call to this API, else undefined. */
  match(request: LlmRequestView): LlmCallKind | undefined;
  requestModel(request: LlmRequestView): string | undefined;
  readResponse(response: RecordedResponse): LlmResponseInfo;
  /**
   * The request with its model and sampling parameters taken out. Two calls of the same shape that
   * are equal here differ at most in those, which is what a model drift is.
   */
  withoutTuning(request: LlmRequestView): { url: string; body: JsonObject };
}
