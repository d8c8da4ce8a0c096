import type { Answer } from './counting-server.js';

/**
 * Answers like an OpenAI chat completions endpoint, with a different text each time (a real model
 * at temperature > 0 would too), streamed as server-sent events when the request asks for it.
 */
export function chatCompletionAnswer(requestBody: string, n: number): Answer {
  const request = JSON.parse(requestBody) as { model: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
  const words = ['spans', 'replay', 'tape', 'trace', 'clock', 'river', 'moon'];
  const text = `answer ${n}: ${Array.from({ length: 5 }, () => words[Math.floor(Math.random() * words.length)]).join(' ')}`;
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  if (!request.stream) {
    return {
      body: JSON.stringify({
        id,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      }),
    };
  }
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const pieces = [chunk({ role: 'assistant', content: '' }, null), ...text.split(' ').map((word, i) => chunk({ content: (i ? ' ' : '') + word }, null)), chunk({}, 'stop'), 'data: [DONE]\n\n'];
  if (request.stream_options?.include_usage) {
    // As the API does when asked: one more chunk, with no choices, carrying the usage.
    const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
    pieces.splice(-1, 0, `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model: request.model, choices: [], usage })}\n\n`);
  }
  return { headers: { 'content-type': 'text/event-stream' }, body: pieces, chunkDelayMs: 5 };
}
