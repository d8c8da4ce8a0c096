import type { Answer } from './counting-server.js';

/**
 * Answers like Anthropic's `POST /v1/messages`, with a different text each time (as a real model
 * would), streamed as the API's named server-sent events when the request asks for it. The
 * answering model carries a date suffix, as Anthropic's do, so request and response models differ.
 */
export function anthropicMessagesAnswer(requestBody: string, n: number): Answer {
  const request = JSON.parse(requestBody) as { model: string; stream?: boolean };
  const words = ['spans', 'replay', 'tape', 'trace', 'clock', 'river', 'moon'];
  const pieces = [`answer ${n}:`, ...Array.from({ length: 5 }, () => words[Math.floor(Math.random() * words.length)]!)];
  const text = pieces.join(' ');
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const model = `${request.model}-20250101`;
  const usage = ANTHROPIC_USAGE;
  if (!request.stream) {
    return {
      body: JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: usage.input, cache_read_input_tokens: usage.cacheRead, output_tokens: usage.output },
      }),
    };
  }
  const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  return {
    headers: { 'content-type': 'text/event-stream' },
    chunkDelayMs: 5,
    body: [
      event('message_start', {
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, cache_read_input_tokens: usage.cacheRead, output_tokens: 1 },
        },
      }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('ping', {}),
      ...pieces.map((piece, i) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: (i ? ' ' : '') + piece } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } }),
      event('message_stop', {}),
    ],
  };
}

/** The usage every answer reports; gen_ai.usage.input_tokens is input + cache reads. */
export const ANTHROPIC_USAGE = { input: 14, cacheRead: 6, output: 9 } as const;
