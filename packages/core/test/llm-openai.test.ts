import { describe, expect, it } from 'vitest';
import { recognizeLlmCall, recognizeLlmRequest } from '@tracetape/core';
import { jsonResponse, postJson, sse, streamedResponse } from './llm-fixtures.js';

const CHAT = 'https://api.openai.com/v1/chat/completions';
const RESPONSES = 'https://api.openai.com/v1/responses';
const messages = [{ role: 'user', content: 'Say hi' }];

describe('OpenAI chat completions', () => {
  it('reads provider, operation, models and usage of a plain response', () => {
    const request = postJson(CHAT, { model: 'gpt-4o', messages, temperature: 0.2 });
    const response = jsonResponse({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
    });
    expect(recognizeLlmCall(request, response)).toEqual({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 9,
      outputTokens: 2,
    });
  });

  it('reads usage from the final chunk of a stream, however the chunks were cut', () => {
    const request = postJson(CHAT, { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunk = (extra: object) => ({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o-mini-2024-07-18', ...extra });
    const text = sse([
      { data: chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null }) },
      { data: chunk({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], usage: null }) },
      { data: chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null }) },
      { data: chunk({ choices: [], usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 } }) },
      '[DONE]',
    ]);
    for (const every of [1, 5, 64, text.length]) {
      expect(recognizeLlmCall(request, streamedResponse(text, every))).toEqual({
        provider: 'openai',
        operation: 'chat',
        requestModel: 'gpt-4o-mini',
        responseModel: 'gpt-4o-mini-2024-07-18',
        inputTokens: 8,
        outputTokens: 1,
      });
    }
  });

  it('leaves token counts out of a stream that carried no usage', () => {
    const request = postJson(CHAT, { model: 'gpt-4o', messages, stream: true });
    const text = sse([{ data: { model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'x' } }] } }, '[DONE]']);
    expect(recognizeLlmCall(request, streamedResponse(text))).toEqual({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o',
    });
  });

  it('recognises the request of a call that failed, without response fields', () => {
    const request = postJson(CHAT, { model: 'gpt-4o', messages });
    const error = jsonResponse({ error: { message: 'rate limited', type: 'rate_limit' }, model: 'nope' }, 429);
    expect(recognizeLlmCall(request, error)).toEqual({ provider: 'openai', operation: 'chat', requestModel: 'gpt-4o' });
    expect(recognizeLlmCall(request)).toEqual({ provider: 'openai', operation: 'chat', requestModel: 'gpt-4o' });
  });

  it('names Azure OpenAI as its own provider and any other host speaking the API as openai', () => {
    const azure = postJson('https://acme.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21', { model: 'gpt-4o', messages });
    expect(recognizeLlmRequest(azure)?.provider).toBe('azure.ai.openai');
    const local = postJson('http://127.0.0.1:11434/v1/chat/completions', { model: 'llama3', messages });
    expect(recognizeLlmRequest(local)?.provider).toBe('openai');
  });
});

describe('OpenAI responses', () => {
  it('reads a plain response', () => {
    const request = postJson(RESPONSES, { model: 'gpt-4.1', input: 'Say hi', max_output_tokens: 50 });
    const response = jsonResponse({
      id: 'resp_1',
      object: 'response',
      model: 'gpt-4.1-2025-04-14',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] }],
      usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 },
    });
    expect(recognizeLlmCall(request, response)).toEqual({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4.1',
      responseModel: 'gpt-4.1-2025-04-14',
      inputTokens: 7,
      outputTokens: 3,
    });
  });

  it('reads a streamed response from its created and completed events', () => {
    const request = postJson(RESPONSES, { model: 'gpt-4.1', input: 'Say hi', stream: true });
    const text = sse([
      { event: 'response.created', data: { type: 'response.created', response: { model: 'gpt-4.1-2025-04-14', usage: null } } },
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: 'hi' } },
      {
        event: 'response.completed',
        data: { type: 'response.completed', response: { model: 'gpt-4.1-2025-04-14', usage: { input_tokens: 7, output_tokens: 4 } } },
      },
    ]);
    expect(recognizeLlmCall(request, streamedResponse(text, 11))).toEqual({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4.1',
      responseModel: 'gpt-4.1-2025-04-14',
      inputTokens: 7,
      outputTokens: 4,
    });
  });
});

describe('not an LLM call', () => {
  it('does not recognise other APIs, methods or body shapes', () => {
    expect(recognizeLlmCall(postJson('https://shop.test/refunds', { model: 'x', amount: 5 }))).toBeUndefined();
    expect(recognizeLlmCall(postJson(CHAT, { model: 'gpt-4o', prompt: 'no messages' }))).toBeUndefined();
    expect(recognizeLlmCall(postJson(RESPONSES, { input: 'no model' }))).toBeUndefined();
    expect(recognizeLlmCall(postJson('https://api.openai.com/v1/responses/resp_1/cancel', { model: 'gpt-4o' }))).toBeUndefined();
    expect(recognizeLlmCall({ method: 'GET', url: 'https://api.openai.com/v1/models', headers: {} })).toBeUndefined();
    expect(
      recognizeLlmCall({ method: 'POST', url: CHAT, headers: {}, body: { encoding: 'utf8', data: 'not json', size: 8 } }),
    ).toBeUndefined();
  });
});
