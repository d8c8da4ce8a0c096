import { describe, expect, it } from 'vitest';
import {
  encodeBody,
  InvalidTraceIdError,
  lastUserText,
  llmConversation,
  parseTraceId,
  parseTraceRef,
  ReplayDivergenceError,
  TapeMatcher,
  type NormalizedRequest,
  type RecordedResponse,
} from '@tracetape/core';
import { call, makeEntry, makeTape, TRACE_ID } from './tape-fixtures.js';

describe('parseTraceRef', () => {
  it('takes a whole trace ID as parseTraceId does, and a prefix of 8 to 31 hex digits', () => {
    expect(parseTraceRef(TRACE_ID.toUpperCase())).toEqual({ id: TRACE_ID });
    expect(parseTraceRef(` ${TRACE_ID.slice(0, 8).toUpperCase()} `)).toEqual({ prefix: TRACE_ID.slice(0, 8) });
    expect(parseTraceRef(TRACE_ID.slice(0, 31))).toEqual({ prefix: TRACE_ID.slice(0, 31) });
  });

  it('refuses short, non-hex, over-long and all-zero input, saying a prefix would do', () => {
    for (const bad of [TRACE_ID.slice(0, 7), 'abcdefgh', `${TRACE_ID}0`, '0'.repeat(32), '']) {
      expect(() => parseTraceRef(bad)).toThrow(InvalidTraceIdError);
      expect(() => parseTraceRef(bad)).toThrow('expected 32 hexadecimal characters, or the first 8 or more of them');
    }
    // Where only a whole ID will do, a prefix is still refused.
    expect(() => parseTraceId(TRACE_ID.slice(0, 8))).toThrow('expected 32 hexadecimal characters.');
  });
});

describe('TapeMatcher call numbers', () => {
  it('numbers a retried blocked call as the call it retries, and the next call after it', () => {
    const matcher = new TapeMatcher(makeTape([makeEntry({ step: 1, method: 'POST', url: 'https://h.test/a', body: '{"q":1}' })]));
    const numbers: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        matcher.take(...call({ method: 'POST', url: 'https://h.test/a', body: '{"q":2}' }));
      } catch (error) {
        expect(error).toBeInstanceOf(ReplayDivergenceError);
        numbers.push((error as ReplayDivergenceError).details.callIndex);
        expect((error as Error).message).toMatch(/^replay diverged at call #1:/);
      }
    }
    expect(numbers).toEqual([1, 1, 1]);
    expect(matcher.report().blocked.map((b) => b.callIndex)).toEqual([1, 1, 1]);
    matcher.take(...call({ method: 'POST', url: 'https://h.test/a', body: '{"q":1}' }));
    expect(matcher.report().served.map((s) => s.callIndex)).toEqual([2]);
  });
});

const chat = (body: unknown): NormalizedRequest => ({
  method: 'POST',
  url: 'https://api.openai.com/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
  body: encodeBody(Buffer.from(JSON.stringify(body))),
});
const ok = (body: unknown): RecordedResponse => ({ status: 200, statusText: 'OK', headers: [], body: encodeBody(Buffer.from(JSON.stringify(body))), complete: true });

describe('llmConversation', () => {
  it('reads an OpenAI chat call: messages, offered tools, the tool it called', () => {
    const request = chat({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Where is order 42?' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup_order', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'shipped' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup_order' } }, { type: 'function', function: { name: 'issue_refund' } }],
    });
    const response = ok({ choices: [{ message: { role: 'assistant', tool_calls: [{ id: 'c2', type: 'function', function: { name: 'issue_refund', arguments: '{}' } }] } }] });
    const conversation = llmConversation(request, response)!;
    expect(conversation.messages).toEqual([
      { role: 'system', text: 'Be brief.' },
      { role: 'user', text: 'Where is order 42?' },
      { role: 'assistant', text: '[tool call lookup_order]' },
      { role: 'tool', text: 'shipped' },
    ]);
    expect(conversation.offeredTools).toEqual(['lookup_order', 'issue_refund']);
    expect(conversation.calledTools).toEqual(['issue_refund']);
    expect(lastUserText(conversation)).toBe('Where is order 42?');
  });

  it('reads a streamed Anthropic call, and its system prompt', () => {
    const request: NormalizedRequest = {
      method: 'POST',
      url: 'https://api.anthropic.com/v1/messages',
      headers: { 'content-type': 'application/json' },
      body: encodeBody(Buffer.from(JSON.stringify({ model: 'claude', system: 'Be kind.', messages: [{ role: 'user', content: 'Refund me' }], tools: [{ name: 'refund' }] }))),
    };
    const sse = [
      `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'refund', input: {} } })}\n\n`,
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    const response: RecordedResponse = {
      status: 200,
      statusText: 'OK',
      headers: [],
      chunks: sse.map((text, i) => ({ offsetMs: i * 10, body: encodeBody(Buffer.from(text)) })),
      complete: true,
    };
    const conversation = llmConversation(request, response)!;
    expect(conversation.messages).toEqual([
      { role: 'system', text: 'Be kind.' },
      { role: 'user', text: 'Refund me' },
    ]);
    expect(conversation.offeredTools).toEqual(['refund']);
    expect(conversation.calledTools).toEqual(['refund']);
  });

  it('reads a Gemini call', () => {
    const request: NormalizedRequest = {
      method: 'POST',
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
      headers: { 'content-type': 'application/json' },
      body: encodeBody(Buffer.from(JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], tools: [{ functionDeclarations: [{ name: 'a' }, { name: 'b' }] }] }))),
    };
    const conversation = llmConversation(request, ok({ candidates: [{ content: { parts: [{ functionCall: { name: 'b', args: {} } }] } }] }))!;
    expect(conversation.messages).toEqual([{ role: 'user', text: 'Hi' }]);
    expect(conversation.offeredTools).toEqual(['a', 'b']);
    expect(conversation.calledTools).toEqual(['b']);
  });
});
