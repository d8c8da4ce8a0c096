import { describe, expect, it } from 'vitest';
import { recognizeLlmCall } from '@tracetape/core';
import { jsonResponse, postJson, sse, streamedResponse } from './llm-fixtures.js';

const MESSAGES = 'https://api.anthropic.com/v1/messages';
const body = { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Say hi' }] };

describe('Anthropic messages', () => {
  it('reads a plain response, counting cache reads and writes as input tokens', () => {
    const response = jsonResponse({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 3 },
    });
    expect(recognizeLlmCall(postJson(MESSAGES, body), response)).toEqual({
      provider: 'anthropic',
      operation: 'chat',
      requestModel: 'claude-sonnet-4-5',
      responseModel: 'claude-sonnet-4-5-20250929',
      inputTokens: 115,
      outputTokens: 3,
    });
  });

  it('reads a stream: model and input usage from message_start, final output count from the last message_delta', () => {
    const text = sse([
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: 25, output_tokens: 1 } },
        },
      },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 6 } } },
      { event: 'message_delta', data: { type: 'message_delta', delta: {}, usage: { output_tokens: 12 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    for (const every of [3, 50, text.length]) {
      expect(recognizeLlmCall(postJson(MESSAGES, { ...body, stream: true }), streamedResponse(text, every))).toEqual({
        provider: 'anthropic',
        operation: 'chat',
        requestModel: 'claude-sonnet-4-5',
        responseModel: 'claude-sonnet-4-5-20250929',
        inputTokens: 25,
        outputTokens: 12,
      });
    }
  });

  it('does not take token counting or batches for a message call', () => {
    expect(recognizeLlmCall(postJson('https://api.anthropic.com/v1/messages/count_tokens', body))).toBeUndefined();
    expect(recognizeLlmCall(postJson('https://api.anthropic.com/v1/messages/batches', { requests: [] }))).toBeUndefined();
    expect(recognizeLlmCall(postJson(MESSAGES, { messages: body.messages }))).toBeUndefined();
  });
});
