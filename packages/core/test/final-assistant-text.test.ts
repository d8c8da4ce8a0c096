import { describe, expect, it } from 'vitest';
import { finalAssistantText } from '@tracetape/core';
import { llmCall, OPENAI_CHAT, openAiAnswer, openAiToolCall } from './claims-fixtures.js';
import { jsonResponse, postJson, sse, streamedResponse } from './llm-fixtures.js';
import { makeEntry, makeTape } from './tape-fixtures.js';

const ANTHROPIC = 'https://api.anthropic.com/v1/messages';
const RESPONSES = 'https://api.openai.com/v1/responses';
const GEMINI = 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent';

const userTurn = [{ role: 'user', content: 'Order 1042 arrived broken, please refund it.' }];

describe('finalAssistantText', () => {
  it('reads the answer of a plain OpenAI chat completion', () => {
    const tape = makeTape([openAiAnswer(1, "I've submitted your refund for order 1042.")]);
    expect(finalAssistantText(tape)).toEqual({ step: 1, text: "I've submitted your refund for order 1042." });
  });

  it('puts a streamed OpenAI chat completion back together, events split mid-line', () => {
    const chunk = (delta: unknown, finish: string | null = null) => ({
      id: 'chatcmpl-9',
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const stream = sse([
      { data: chunk({ role: 'assistant', content: '' }) },
      { data: chunk({ content: "I've submitted " }) },
      { data: chunk({ content: 'your refund' }) },
      { data: chunk({ content: ' of $42.' }) },
      { data: chunk({}, 'stop') },
      '[DONE]',
    ]);
    const request = postJson(OPENAI_CHAT, { model: 'gpt-4o-mini', stream: true, messages: userTurn });
    const tape = makeTape([llmCall(3, request, streamedResponse(stream))]);
    expect(finalAssistantText(tape)).toEqual({ step: 3, text: "I've submitted your refund of $42." });
  });

  it('reads a plain Anthropic message, leaving its thinking out', () => {
    const response = jsonResponse({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        { type: 'thinking', thinking: 'The refund tool failed; I should say so.', signature: 'sig' },
        { type: 'text', text: "I couldn't submit your refund: the payment service is down." },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 80, output_tokens: 20 },
    });
    const tape = makeTape([llmCall(2, postJson(ANTHROPIC, { model: 'claude-sonnet-4-5', max_tokens: 512, messages: userTurn }), response)]);
    expect(finalAssistantText(tape)).toEqual({ step: 2, text: "I couldn't submit your refund: the payment service is down." });
  });

  it('puts a streamed Anthropic message back together from its content block deltas', () => {
    const stream = sse([
      {
        event: 'message_start',
        data: { type: 'message_start', message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: 80, output_tokens: 1 } } },
      },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Your refund has ' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'been issued.' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    const request = postJson(ANTHROPIC, { model: 'claude-sonnet-4-5', max_tokens: 512, stream: true, messages: userTurn });
    const tape = makeTape([llmCall(5, request, streamedResponse(stream, 11))]);
    expect(finalAssistantText(tape)).toEqual({ step: 5, text: 'Your refund has been issued.' });
  });

  it('reads an OpenAI responses answer, leaving reasoning items out', () => {
    const response = jsonResponse({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      model: 'gpt-4.1-2025-04-14',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Refund issued for order 1042.', annotations: [] }] },
      ],
      usage: { input_tokens: 50, output_tokens: 8 },
    });
    const tape = makeTape([llmCall(1, postJson(RESPONSES, { model: 'gpt-4.1', input: 'Refund order 1042' }), response)]);
    expect(finalAssistantText(tape)).toEqual({ step: 1, text: 'Refund issued for order 1042.' });
  });

  it('reads a Gemini answer', () => {
    const response = jsonResponse({
      candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'I have refunded order 1042.' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 7 },
      modelVersion: 'gemini-2.0-flash',
    });
    const tape = makeTape([llmCall(4, postJson(GEMINI, { contents: [{ role: 'user', parts: [{ text: 'Refund order 1042' }] }] }), response)]);
    expect(finalAssistantText(tape)).toEqual({ step: 4, text: 'I have refunded order 1042.' });
  });

  it('takes the last answer that has text when the last call only called tools', () => {
    const tape = makeTape([
      openAiAnswer(1, 'Let me look into order 1042.'),
      makeEntry({ step: 2, method: 'GET', url: 'https://shop.test/orders/1042' }),
      openAiToolCall(3, 'issue_refund', { order_id: '1042' }),
    ]);
    expect(finalAssistantText(tape)).toEqual({ step: 1, text: 'Let me look into order 1042.' });
  });

  it('passes over a model call that got an error answer', () => {
    const failed = llmCall(2, postJson(OPENAI_CHAT, { model: 'gpt-4o-mini', messages: userTurn }), jsonResponse({ error: { message: 'overloaded' } }, 503));
    const tape = makeTape([openAiAnswer(1, 'Your refund is on its way.'), failed]);
    expect(finalAssistantText(tape)).toEqual({ step: 1, text: 'Your refund is on its way.' });
  });

  it('is undefined for a run without a model answer', () => {
    expect(finalAssistantText(makeTape([makeEntry({ step: 1, method: 'POST', url: 'https://shop.test/refunds', body: '{}' })]))).toBeUndefined();
    expect(finalAssistantText(makeTape([openAiToolCall(1, 'issue_refund', { order_id: '1042' })]))).toBeUndefined();
  });
});
