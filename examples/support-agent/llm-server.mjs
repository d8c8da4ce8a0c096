// A stand-in for an OpenAI-compatible chat model, playing a support-desk assistant.
//
// It is deliberately non-deterministic, like a real model at temperature > 0: it picks a
// different plan, wording and tool-call IDs on every request. A plain re-run of the agent
// therefore prints something new each time, and only a replay reproduces a run exactly.
// The server is stateless: every decision is made from the conversation it is sent.

import http from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const pick = (items) => items[randomInt(items.length)];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomId = (prefix, length = 24) =>
  prefix + Array.from(randomBytes(length), (b) => ALPHABET[b % ALPHABET.length]).join('');

const dollars = (cents) => `$${(cents / 100).toFixed(2)}`;

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? '').join('');
  return '';
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Pair each tool result with the call that produced it, so the "model" knows what it learned.
function toolResults(messages) {
  const callNames = new Map();
  for (const m of messages) {
    for (const call of m.tool_calls ?? []) callNames.set(call.id, call.function?.name);
  }
  const results = {};
  for (const m of messages) {
    if (m.role !== 'tool') continue;
    const name = callNames.get(m.tool_call_id);
    if (name) results[name] = parseJson(textOf(m.content)) ?? { error: textOf(m.content) };
  }
  return results;
}

const toolCall = (name, args) => ({
  id: randomId('call_'),
  type: 'function',
  function: { name, arguments: JSON.stringify(args) },
});

const REASONS = [
  'Item arrived broken',
  'Damaged in transit',
  'Customer reports the item arrived damaged',
  'Broken on arrival, full refund',
];

// The "model": returns { content, tool_calls } for the next assistant turn.
function decide(messages, tools, fixedPlan) {
  const userText = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
  const orderId = userText.match(/\b(\d{3,8})\b/)?.[1];
  const paid = userText.match(/\$(\d+(?:\.\d{1,2})?)/);
  const paidCents = paid ? Math.round(Number(paid[1]) * 100) : undefined;
  const canCall = new Set((tools ?? []).map((t) => t.function?.name));
  const { lookup_order: order, issue_refund: refund } = toolResults(messages);

  if (!orderId || !canCall.has('issue_refund')) {
    return {
      content: pick([
        "I'm sorry to hear that! Could you give me your order number so I can help?",
        'Sorry about that. Which order is this about? Please share the order number.',
      ]),
    };
  }

  if (refund) {
    if (refund.error) {
      return {
        content: pick([
          `I tried to refund order ${orderId} but the shop refused it (${refund.error}). I've escalated this to a colleague who will email you today.`,
          `Unfortunately the refund for order ${orderId} didn't go through: ${refund.error}. A teammate will follow up by email.`,
        ]),
      };
    }
    const amount = dollars(refund.amount_cents);
    return {
      content: pick([
        `I'm so sorry your order arrived broken. I've refunded ${amount} to your original payment method (refund ${refund.refund_id}); it should show up within 3-5 business days.`,
        `All done: refund ${refund.refund_id} for ${amount} is on its way back to your card. Apologies for the broken delivery!`,
        `Sorry about that! Refund ${refund.refund_id} of ${amount} has been issued for order ${orderId}. You don't need to send the item back.`,
        `That's not the experience we want for you. I've issued a full refund of ${amount} (reference ${refund.refund_id}). Expect it in a few days.`,
      ]),
    };
  }

  if (order) {
    if (order.error) {
      return { content: `I couldn't find order ${orderId} (${order.error}). Could you double-check the number?` };
    }
    return {
      content: pick([null, null, `Found it: ${order.items?.[0]?.name ?? 'your item'}. Issuing the refund now.`]),
      tool_calls: [
        toolCall('issue_refund', { order_id: orderId, amount_cents: order.total_cents, reason: pick(REASONS) }),
      ],
    };
  }

  // A model that says it acted without acting: no tool call, only the claim (the
  // acknowledgment-action gap that `tracetape tape --claims` flags).
  if (fixedPlan === 'claim-only') {
    return {
      content: pick([
        `I'm sorry about order ${orderId}. I've submitted your refund; it should reach your card within 3-5 business days.`,
        `Sorry for the trouble! Your refund for order ${orderId} has been issued and is on its way.`,
      ]),
    };
  }

  // First turn: the plan itself varies, as it would with a sampled model.
  const refundNow = () =>
    toolCall('issue_refund', { order_id: orderId, amount_cents: paidCents, reason: pick(REASONS) });
  const lookup = () => toolCall('lookup_order', { order_id: orderId });
  const plan = fixedPlan ?? (paidCents && canCall.has('lookup_order') ? pick(['lookup', 'lookup', 'refund', 'both']) :
    paidCents ? 'refund' : 'lookup');
  if (plan === 'refund') return { content: null, tool_calls: [refundNow()] };
  if (plan === 'both') {
    return { content: pick([null, 'Checking your order and starting the refund.']), tool_calls: [lookup(), refundNow()] };
  }
  return {
    content: pick([null, 'Let me pull up that order first.', "I'm sorry to hear that. Let me look up the order."]),
    tool_calls: [lookup()],
  };
}

// Rough token counts: good enough for a usage block that clients may display.
const tokens = (value) => Math.ceil(JSON.stringify(value ?? '').length / 4);

function usageFor(request, reply) {
  const prompt_tokens = tokens(request.messages) + tokens(request.tools);
  const completion_tokens = tokens(reply.content) + tokens(reply.tool_calls);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function completion(request, reply) {
  return {
    id: randomId('chatcmpl-', 29),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    system_fingerprint: randomId('fp_', 10),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content ?? null, refusal: null, ...(reply.tool_calls && { tool_calls: reply.tool_calls }) },
        logprobs: null,
        finish_reason: reply.tool_calls ? 'tool_calls' : 'stop',
      },
    ],
    usage: usageFor(request, reply),
  };
}

// Split a string into small random pieces, as tokens arrive from a real model.
function pieces(text, min, max) {
  const out = [];
  for (let i = 0; i < text.length; ) {
    const n = randomInt(min, max + 1);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

// The delta sequence OpenAI sends: role first, then content, then per tool call one delta
// carrying id/type/name with empty arguments followed by argument fragments, then the finish.
function* deltas(reply) {
  yield { delta: { role: 'assistant', content: '', refusal: null } };
  if (reply.content) for (const p of pieces(reply.content, 2, 9)) yield { delta: { content: p } };
  for (const [index, call] of (reply.tool_calls ?? []).entries()) {
    yield {
      delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] },
    };
    for (const p of pieces(call.function.arguments, 3, 12)) {
      yield { delta: { tool_calls: [{ index, function: { arguments: p } }] } };
    }
  }
  yield { delta: {}, finish_reason: reply.tool_calls ? 'tool_calls' : 'stop' };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function stream(res, request, reply) {
  const base = {
    id: randomId('chatcmpl-', 29),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    system_fingerprint: randomId('fp_', 10),
  };
  const includeUsage = request.stream_options?.include_usage === true;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (chunk) => res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  for (const { delta, finish_reason = null } of deltas(reply)) {
    send({ choices: [{ index: 0, delta, logprobs: null, finish_reason }], ...(includeUsage && { usage: null }) });
    // Small gaps so clients really see a stream rather than one buffered body.
    await sleep(randomInt(2, 12));
  }
  if (includeUsage) send({ choices: [], usage: usageFor(request, reply) });
  res.end('data: [DONE]\n\n');
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const openAiError = (message, type = 'invalid_request_error') => ({ error: { message, type, param: null, code: null } });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req, res, plan) {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && pathname === '/v1/models') {
    return sendJson(res, 200, { object: 'list', data: [{ id: 'support-desk-1', object: 'model', created: 0, owned_by: 'tracetape-demo' }] });
  }
  if (req.method !== 'POST' || pathname !== '/v1/chat/completions') {
    return sendJson(res, 404, openAiError(`Unknown route ${req.method} ${pathname}`));
  }
  const request = parseJson(await readBody(req));
  if (!request || !Array.isArray(request.messages)) {
    return sendJson(res, 400, openAiError('Body must be JSON with a messages array'));
  }
  const reply = decide(request.messages, request.tools, plan);
  if (request.stream) return stream(res, request, reply);
  sendJson(res, 200, completion(request, reply));
}

// plan: 'lookup', 'refund' or 'both' fixes the first turn's plan, for a test that needs one; the
// wording and IDs still vary. 'claim-only' answers at once that the refund was made, calling nothing.
export function startLlmServer({ port = 0, plan } = {}) {
  const server = http.createServer((req, res) => {
    handle(req, res, plan).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, openAiError(String(err?.message ?? err), 'server_error'));
      else res.destroy(err);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/v1`;
      resolve({
        url,
        // closeAllConnections: keep-alive sockets from the SDK would otherwise hold close() open.
        close: () => new Promise((done) => { server.close(() => done()); server.closeAllConnections(); }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // LLM_PLAN fixes the first turn's plan, as the `plan` option does (lookup, refund, both, claim-only).
  const { url } = await startLlmServer({ port: Number(process.env.PORT ?? 4010), plan: process.env.LLM_PLAN || undefined });
  console.log(`support-desk model listening on ${url}`);
  console.log(`export OPENAI_BASE_URL=${url}`);
}
