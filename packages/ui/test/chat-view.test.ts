import { describe, expect, it } from 'vitest';
import { recognizeLlmCall, type NormalizedRequest, type RecordedResponse, type TapeEntry } from '@tracetape/core';
import { chatView } from '../src/views/chat-view.js';
import { jsonResponse, postJson, sse, streamedResponse } from '../../core/test/llm-fixtures.js';

/** A tape entry of a call, with `llm` set as recording sets it (from the payloads). */
function entry(request: NormalizedRequest, response: RecordedResponse): TapeEntry {
  const llm = recognizeLlmCall(request, response);
  return {
    step: 1,
    kind: 'http',
    spanId: 'a1',
    spanName: 'POST',
    startTime: '2025-01-01T00:00:00.000Z',
    durationMs: 5,
    inputHash: 'h',
    request: { normalized: request, headers: [] },
    response,
    ...(llm ? { llm } : {}),
  };
}

const weatherArgs = '{"city":"Paris"}';

describe('OpenAI chat completions', () => {
  const URL = 'https://api.openai.com/v1/chat/completions';
  const request = postJson(URL, {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You answer about weather.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: weatherArgs } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C, sunny' },
    ],
    tools: [{ type: 'function', function: { name: 'weather', parameters: {} } }],
  });
  const sentMessages = [
    { role: 'system', text: 'You answer about weather.' },
    { role: 'user', text: 'Weather in Paris and Rome?' },
    { role: 'assistant', text: '', toolCalls: [{ name: 'weather', arguments: weatherArgs, id: 'call_1' }] },
    { role: 'tool', text: '18C, sunny', toolCallId: 'call_1' },
  ];

  it('reads a plain answer with a tool call', () => {
    const response = jsonResponse({
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Paris is sunny.', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 40, completion_tokens: 12 },
    });
    expect(chatView(entry(request, response))).toEqual({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 40,
      outputTokens: 12,
      finishReason: 'tool_calls',
      offeredTools: ['weather'],
      messages: [
        ...sentMessages,
        { role: 'assistant', text: 'Paris is sunny.', toolCalls: [{ name: 'weather', arguments: '{"city":"Rome"}', id: 'call_2' }] },
      ],
    });
  });

  it('assembles a streamed answer: content pieces, two tool calls by index, arguments in pieces', () => {
    const chunk = (choice: object, usage: object | null = null) => ({ model: 'gpt-4o-2024-08-06', choices: [{ index: 0, finish_reason: null, ...choice }], usage });
    const text = sse([
      { data: chunk({ delta: { role: 'assistant', content: 'Checking' } }) },
      { data: chunk({ delta: { content: ' both.' } }) },
      { data: chunk({ delta: { tool_calls: [{ index: 0, id: 'call_2', type: 'function', function: { name: 'weather', arguments: '' } }] } }) },
      { data: chunk({ delta: { tool_calls: [{ index: 1, id: 'call_3', type: 'function', function: { name: 'time', arguments: '{"tz":' } }] } }) },
      { data: chunk({ delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }) },
      { data: chunk({ delta: { tool_calls: [{ index: 0, function: { arguments: '"Rome"}' } }] } }) },
      { data: chunk({ delta: { tool_calls: [{ index: 1, function: { arguments: '"CET"}' } }] } }) },
      { data: chunk({ delta: {}, finish_reason: 'tool_calls' }) },
      { data: { model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 41, completion_tokens: 20 } } },
      '[DONE]',
    ]);
    for (const every of [1, 9, text.length]) {
      const view = chatView(entry(request, streamedResponse(text, every)))!;
      expect(view.messages.slice(0, -1)).toEqual(sentMessages);
      expect(view.messages.at(-1)).toEqual({
        role: 'assistant',
        text: 'Checking both.',
        toolCalls: [
          { name: 'weather', arguments: '{"city":"Rome"}', id: 'call_2' },
          { name: 'time', arguments: '{"tz":"CET"}', id: 'call_3' },
        ],
      });
      expect(view).toMatchObject({ finishReason: 'tool_calls', inputTokens: 41, outputTokens: 20, responseModel: 'gpt-4o-2024-08-06' });
    }
  });

  it('appends no answer when the call got an error answer', () => {
    const view = chatView(entry(request, jsonResponse({ error: { message: 'rate limited' } }, 429)))!;
    expect(view.messages).toEqual(sentMessages);
    expect(view.finishReason).toBeUndefined();
  });
});

describe('OpenAI responses', () => {
  const URL = 'https://api.openai.com/v1/responses';
  const request = postJson(URL, {
    model: 'gpt-4.1',
    instructions: 'Be brief.',
    input: [
      { role: 'user', content: [{ type: 'input_text', text: 'Refund order 7' }] },
      { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'lookup', arguments: '{"order":7}' },
      { type: 'function_call_output', call_id: 'call_a', output: '{"paid":20}' },
    ],
    tools: [{ type: 'function', name: 'lookup' }, { type: 'function', name: 'refund' }, { type: 'web_search' }],
  });
  const sentMessages = [
    { role: 'system', text: 'Be brief.' },
    { role: 'user', text: 'Refund order 7' },
    { role: 'assistant', text: '', toolCalls: [{ name: 'lookup', arguments: '{"order":7}', id: 'call_a' }] },
    { role: 'tool', text: '{"paid":20}', toolCallId: 'call_a' },
  ];
  const refundCall = { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'refund', arguments: '{"amount":20}', status: 'completed' };
  const saying = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Refunding 20.' }] };
  const answer = { role: 'assistant', text: 'Refunding 20.', toolCalls: [{ name: 'refund', arguments: '{"amount":20}', id: 'call_b' }] };

  it('reads a plain answer: output items, reasoning left out, the status as finish reason', () => {
    const response = jsonResponse({
      model: 'gpt-4.1-2025-04-14',
      status: 'completed',
      output: [{ type: 'reasoning', summary: [] }, saying, refundCall],
      usage: { input_tokens: 30, output_tokens: 9 },
    });
    const view = chatView(entry(request, response))!;
    expect(view.messages).toEqual([...sentMessages, answer]);
    expect(view).toMatchObject({ finishReason: 'completed', inputTokens: 30, outputTokens: 9, offeredTools: ['lookup', 'refund', 'web_search'] });
  });

  it('gives the reason an answer was cut short', () => {
    const response = jsonResponse({ model: 'gpt-4.1', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [saying] });
    expect(chatView(entry(request, response))?.finishReason).toBe('max_output_tokens');
  });

  const streamEvents = [
    { type: 'response.created', response: { model: 'gpt-4.1-2025-04-14', status: 'in_progress', output: [], usage: null } },
    { type: 'response.output_item.added', output_index: 0, item: { type: 'message', role: 'assistant', content: [] } },
    { type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: 'Refunding' },
    { type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: ' 20.' },
    { type: 'response.output_item.added', output_index: 1, item: { ...refundCall, arguments: '', status: 'in_progress' } },
    { type: 'response.function_call_arguments.delta', output_index: 1, item_id: 'fc_2', delta: '{"amount"' },
    { type: 'response.function_call_arguments.delta', output_index: 1, item_id: 'fc_2', delta: ':20}' },
  ];

  it('reads a streamed answer from response.completed', () => {
    const text = sse([
      ...streamEvents,
      { type: 'response.output_item.done', output_index: 1, item: refundCall },
      {
        type: 'response.completed',
        response: { model: 'gpt-4.1-2025-04-14', status: 'completed', output: [saying, refundCall], usage: { input_tokens: 30, output_tokens: 9 } },
      },
    ].map((data) => ({ event: data.type, data })));
    const view = chatView(entry(request, streamedResponse(text, 13)))!;
    expect(view.messages).toEqual([...sentMessages, answer]);
    expect(view).toMatchObject({ finishReason: 'completed', inputTokens: 30, outputTokens: 9 });
  });

  it('assembles a stream that ended before response.completed from its deltas', () => {
    const text = sse(streamEvents.map((data) => ({ event: data.type, data })));
    const view = chatView(entry(request, streamedResponse(text, 5)))!;
    expect(view.messages.at(-1)).toEqual(answer);
    expect(view.finishReason).toBe('in_progress');
  });
});

describe('Anthropic messages', () => {
  const URL = 'https://api.anthropic.com/v1/messages';
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 512,
    system: [{ type: 'text', text: 'You are a support agent.' }],
    tools: [{ name: 'lookup', input_schema: {} }, { name: 'refund', input_schema: {} }],
    messages: [
      { role: 'user', content: 'Refund orders 7 and 8' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking them up.' },
          { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { order: 7 } },
          { type: 'tool_use', id: 'toolu_2', name: 'lookup', input: { order: 8 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'paid 20' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'paid 5' }] },
          { type: 'text', text: 'Go ahead.' },
        ],
      },
    ],
  };
  const request = postJson(URL, body);
  const sentMessages = [
    { role: 'system', text: 'You are a support agent.' },
    { role: 'user', text: 'Refund orders 7 and 8' },
    {
      role: 'assistant',
      text: 'Looking them up.',
      toolCalls: [
        { name: 'lookup', arguments: '{"order":7}', id: 'toolu_1' },
        { name: 'lookup', arguments: '{"order":8}', id: 'toolu_2' },
      ],
    },
    { role: 'tool', text: 'paid 20', toolCallId: 'toolu_1' },
    { role: 'tool', text: 'paid 5', toolCallId: 'toolu_2' },
    { role: 'user', text: 'Go ahead.' },
  ];

  it('reads a plain answer with a tool call, splitting tool results out of user messages', () => {
    const response = jsonResponse({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 's' },
        { type: 'text', text: 'Refunding 25.' },
        { type: 'tool_use', id: 'toolu_3', name: 'refund', input: { amount: 25 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 50, output_tokens: 15 },
    });
    expect(chatView(entry(request, response))).toEqual({
      provider: 'anthropic',
      operation: 'chat',
      requestModel: 'claude-sonnet-4-5',
      responseModel: 'claude-sonnet-4-5-20250929',
      inputTokens: 50,
      outputTokens: 15,
      finishReason: 'tool_use',
      offeredTools: ['lookup', 'refund'],
      messages: [...sentMessages, { role: 'assistant', text: 'Refunding 25.', toolCalls: [{ name: 'refund', arguments: '{"amount":25}', id: 'toolu_3' }] }],
    });
  });

  it('assembles a streamed answer: text deltas and a tool input streamed as JSON pieces', () => {
    const events = [
      { type: 'message_start', message: { model: 'claude-sonnet-4-5-20250929', content: [], stop_reason: null, usage: { input_tokens: 50, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Refunding' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' 25.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_3', name: 'refund', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"amount": ' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '25}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 18 } },
      { type: 'message_stop' },
    ];
    const text = sse(events.map((data) => ({ event: data.type, data })));
    for (const every of [2, 40]) {
      const view = chatView(entry(postJson(URL, { ...body, stream: true }), streamedResponse(text, every)))!;
      expect(view.messages.slice(0, -1)).toEqual(sentMessages);
      expect(view.messages.at(-1)).toEqual({ role: 'assistant', text: 'Refunding 25.', toolCalls: [{ name: 'refund', arguments: '{"amount": 25}', id: 'toolu_3' }] });
      expect(view).toMatchObject({ finishReason: 'tool_use', inputTokens: 50, outputTokens: 18 });
    }
  });
});

describe('Gemini generateContent', () => {
  const BASE = 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash';
  const body = {
    systemInstruction: { parts: [{ text: 'You plan trips.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { temp: 18 } } }] },
    ],
    tools: [{ functionDeclarations: [{ name: 'weather' }, { name: 'book' }] }],
  };
  const sentMessages = [
    { role: 'system', text: 'You plan trips.' },
    { role: 'user', text: 'Weather in Paris?' },
    { role: 'assistant', text: '', toolCalls: [{ name: 'weather', arguments: weatherArgs, id: 'weather' }] },
    { role: 'tool', text: '{"temp":18}', toolCallId: 'weather' },
  ];
  const piece = (parts: object[], usage: object, finishReason?: string) => ({
    candidates: [{ index: 0, content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}) }],
    usageMetadata: usage,
    modelVersion: 'gemini-2.5-flash-001',
  });
  const answer = { role: 'assistant', text: 'It is mild, booking.', toolCalls: [{ name: 'book', arguments: '{"city":"Paris"}', id: 'book' }] };

  it('reads a plain answer: text, a function call, the finish reason; thoughts left out', () => {
    const response = jsonResponse(
      piece(
        [{ text: 'thinking…', thought: true }, { text: 'It is mild, booking.' }, { functionCall: { name: 'book', args: { city: 'Paris' } } }],
        { promptTokenCount: 33, candidatesTokenCount: 7 },
        'STOP',
      ),
    );
    expect(chatView(entry(postJson(`${BASE}:generateContent`, body), response))).toEqual({
      provider: 'gcp.gemini',
      operation: 'generate_content',
      requestModel: 'gemini-2.5-flash',
      responseModel: 'gemini-2.5-flash-001',
      inputTokens: 33,
      outputTokens: 7,
      finishReason: 'STOP',
      offeredTools: ['weather', 'book'],
      messages: [...sentMessages, answer],
    });
  });

  const pieces = [
    piece([{ text: 'It is ' }], { promptTokenCount: 33, candidatesTokenCount: 2 }),
    piece([{ text: 'mild, booking.' }], { promptTokenCount: 33, candidatesTokenCount: 5 }),
    piece([{ functionCall: { name: 'book', args: { city: 'Paris' } } }], { promptTokenCount: 33, candidatesTokenCount: 9 }, 'STOP'),
  ];

  it('assembles a server-sent event stream (alt=sse), joining text pieces', () => {
    const text = sse(pieces.map((data) => ({ data })));
    const view = chatView(entry(postJson(`${BASE}:streamGenerateContent?alt=sse`, body), streamedResponse(text, 11)))!;
    expect(view.messages).toEqual([...sentMessages, answer]);
    expect(view).toMatchObject({ finishReason: 'STOP', inputTokens: 33, outputTokens: 9 });
  });

  it('assembles a stream sent as one JSON array, with call ids when the model gives them', () => {
    const withIds = structuredClone(pieces);
    (withIds[2]!.candidates[0]!.content.parts[0] as { functionCall: { id?: string } }).functionCall.id = 'fc-9';
    const view = chatView(entry(postJson(`${BASE}:streamGenerateContent`, body), streamedResponse(JSON.stringify(withIds), 17, 'application/json')))!;
    expect(view.messages.at(-1)).toEqual({ ...answer, toolCalls: [{ ...answer.toolCalls[0], id: 'fc-9' }] });
    expect(view.finishReason).toBe('STOP');
  });
});

describe('not an LLM call', () => {
  it('has no chat view', () => {
    const response = jsonResponse({ ok: true });
    const call = entry(postJson('https://shop.test/refunds', { model: 'x', messages: [] }), response);
    expect(call.llm).toBeUndefined();
    expect(chatView(call)).toBeUndefined();
  });
});
