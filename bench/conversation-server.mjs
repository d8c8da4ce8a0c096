// A loopback stand-in for an OpenAI-compatible chat completions endpoint that counts the body
// bytes that cross the wire both ways: the "raw" side of the storage benchmark's ratio. It asks
// for a tool after each user message and answers in prose after each tool result; streamed
// requests always get prose, as server-sent events with usage in the last chunk.
import http from 'node:http';
import { assistantText, toolCall } from './conversation-text.mjs';

/** Starts the server on 127.0.0.1 (a free port, or `port`); `counts` accumulate as requests arrive. */
export async function startChatServer({ seed, port = 0 }) {
  const counts = { requests: 0, requestBytes: 0, responseBytes: 0 };
  // The last request holds the whole history; with every response it is all the distinct content.
  const seen = { lastRequest: '', responses: [] };
  // Every exchange as a cassette tool keeps it (method, path, headers and body both ways), for the
  // benchmark's peer: the same recording as one compressed JSON cassette.
  const exchanges = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => {
      counts.requestBytes += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      counts.requests++;
      const send = (status, headers, pieces) => {
        seen.responses.push(pieces.join(''));
        exchanges.push({
          request: { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') },
          response: { status, headers, body: pieces.join('') },
        });
        res.writeHead(status, headers);
        for (const piece of pieces) {
          counts.responseBytes += Buffer.byteLength(piece);
          res.write(piece);
        }
        res.end();
      };
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        send(404, { 'content-type': 'application/json' }, [JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } })]);
        return;
      }
      seen.lastRequest = Buffer.concat(chunks).toString('utf8');
      const request = JSON.parse(seen.lastRequest);
      send(200, ...answer(seed, request));
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = server.address().port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/v1`,
    counts,
    /** Every distinct byte the conversation carried: the last request and all responses. */
    distinctContent: () => seen.lastRequest + seen.responses.join(''),
    /** Every request and response in order, bodies as text, as a cassette would hold them. */
    exchanges: () => exchanges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(seed, request) {
  const turn = request.messages.filter((m) => m.role === 'assistant').length + 1;
  const id = `chatcmpl-bench-${seed}-${turn}`;
  // Roughly what a tokenizer would say; the figure is not used, only made plausible.
  const usage = (completion) => {
    const prompt = Math.round(JSON.stringify(request.messages).length / 4);
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  };
  const wantsTool = !request.stream && request.messages.at(-1)?.role === 'user';
  if (request.stream) {
    const text = assistantText(seed, turn);
    const words = text.split(' ');
    const chunk = (choices, extra = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_760_000_000 + turn, model: request.model, choices, ...extra })}\n\n`;
    const pieces = [chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
    // A few words per event, as models emit tokens.
    for (let i = 0; i < words.length; i += 4) {
      pieces.push(chunk([{ index: 0, delta: { content: (i ? ' ' : '') + words.slice(i, i + 4).join(' ') }, finish_reason: null }]));
    }
    pieces.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
    if (request.stream_options?.include_usage) pieces.push(chunk([], { usage: usage(Math.round(text.length / 4)) }));
    pieces.push('data: [DONE]\n\n');
    return [{ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, pieces];
  }
  const message = wantsTool
    ? (() => {
        const call = toolCall(seed, turn);
        return { role: 'assistant', content: null, tool_calls: [{ id: `call_${seed}_${turn}`, type: 'function', function: call }] };
      })()
    : { role: 'assistant', content: assistantText(seed, turn) };
  const body = {
    id,
    object: 'chat.completion',
    created: 1_760_000_000 + turn,
    model: request.model,
    choices: [{ index: 0, message, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
    usage: usage(Math.round(JSON.stringify(message).length / 4)),
  };
  return [{ 'content-type': 'application/json' }, [JSON.stringify(body)]];
}
