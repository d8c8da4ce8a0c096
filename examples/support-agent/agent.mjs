// A small support agent: one customer message, an LLM with two tools, a shop API.
//
// Everything it prints comes from what the model and the shop answered; it reads no clock
// and draws no random numbers of its own, so a tracetape replay prints the same bytes.
//
//   OPENAI_BASE_URL  the chat completions endpoint (e.g. the demo's llm-server.mjs)
//   SHOP_URL         the shop service (shop-service.mjs), or:
//   DATABASE_URL     orders and refunds in PostgreSQL, with REDIS_URL for the customer's
//                    session (shop-database.mjs; npm run demo:databases)
//   AGENT_STREAM=1   stream every model turn (SSE) instead of plain JSON responses
//   AGENT_MODEL      model name sent to the API (default gpt-4o-mini)
//   AGENT_SHOP_TIMEOUT_MS   give up on a shop call after this long, and try a refund once more
//                    (the double-refund bug: a refund that timed out may have been made)
//   AGENT_IDEMPOTENCY_KEYS=1   the fix: every refund carries an Idempotency-Key, the same on the
//                    retry, so the shop makes it once

import OpenAI from 'openai';

const CUSTOMER_MESSAGE = 'My order 1042 arrived broken (I paid $89.90), I want my money back.';
const MAX_TURNS = 6;

const shopUrl = process.env.SHOP_URL;
const databaseUrl = process.env.DATABASE_URL;
if (!shopUrl && !databaseUrl) {
  console.error('agent: set SHOP_URL (start one with: node examples/support-agent/shop-service.mjs), or DATABASE_URL (see npm run demo:databases)');
  process.exit(2);
}
const database = databaseUrl
  ? (await import('./shop-database.mjs')).openShop({ databaseUrl, redisUrl: process.env.REDIS_URL, customer: 'dana.whitfield' })
  : undefined;
const streaming = process.env.AGENT_STREAM === '1';
const model = process.env.AGENT_MODEL ?? 'gpt-4o-mini';

const client = new OpenAI({
  baseURL: process.env.OPENAI_BASE_URL,
  apiKey: process.env.OPENAI_API_KEY ?? 'sk-demo-not-a-real-key',
  // A retry would hide a failing call behind backoff sleeps; in a replay we want the error now.
  maxRetries: 0,
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      description: 'Fetch an order: items, total and delivery status.',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' } },
        required: ['order_id'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'issue_refund',
      description: "Refund money to the customer's original payment method.",
      parameters: {
        type: 'object',
        properties: {
          order_id: { type: 'string' },
          amount_cents: { type: 'integer' },
          reason: { type: 'string' },
        },
        required: ['order_id', 'amount_cents', 'reason'],
        additionalProperties: false,
      },
    },
  },
];

const say = (text) => process.stdout.write(text);

const shopTimeoutMs = Number(process.env.AGENT_SHOP_TIMEOUT_MS ?? 0);
const idempotencyKeys = process.env.AGENT_IDEMPOTENCY_KEYS === '1';

async function shop(method, path, body, headers = {}) {
  const res = await fetch(new URL(path, shopUrl), {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    ...(shopTimeoutMs > 0 ? { signal: AbortSignal.timeout(shopTimeoutMs) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

// A refund that timed out is tried once more. Without an idempotency key that is the bug: the
// first one may have been made, and the retry refunds the customer again.
async function refund(order_id, amount_cents, reason) {
  const headers = idempotencyKeys ? { 'idempotency-key': `refund-${order_id}-${amount_cents}` } : {};
  try {
    return await shop('POST', '/refunds', { order_id, amount_cents, reason }, headers);
  } catch (error) {
    if (error?.name !== 'TimeoutError') throw error;
    say(`tool     · refund timed out after ${shopTimeoutMs} ms; trying once more\n`);
    return shop('POST', '/refunds', { order_id, amount_cents, reason }, headers);
  }
}

function runTool(name, args) {
  if (database) return database.runTool(name, args);
  if (name === 'lookup_order') return shop('GET', `/orders/${encodeURIComponent(args.order_id)}`);
  if (name === 'issue_refund') {
    const { order_id, amount_cents, reason } = args;
    return refund(order_id, amount_cents, reason);
  }
  return Promise.resolve({ status: 0, text: JSON.stringify({ error: `unknown tool ${name}` }) });
}

async function askOnce(messages) {
  const completion = await client.chat.completions.create({ model, messages, tools });
  const message = completion.choices[0].message;
  if (message.content) say(`agent    › ${message.content}\n`);
  return message;
}

// Rebuild the assistant message from SSE deltas; tool calls arrive in fragments keyed by index.
async function askStreaming(messages) {
  const stream = await client.chat.completions.create({ model, messages, tools, stream: true });
  let content = '';
  const calls = [];
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    if (delta.content) {
      if (!content) say('agent    › ');
      say(delta.content);
      content += delta.content;
    }
    for (const part of delta.tool_calls ?? []) {
      const call = (calls[part.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (part.id) call.id = part.id;
      if (part.function?.name) call.function.name += part.function.name;
      if (part.function?.arguments) call.function.arguments += part.function.arguments;
    }
  }
  if (content) say('\n');
  return { role: 'assistant', content: content || null, ...(calls.length && { tool_calls: calls }) };
}

const messages = [
  {
    role: 'system',
    content: 'You are a support agent for a small homeware shop. Use the tools to look up orders and issue refunds.',
  },
  { role: 'user', content: CUSTOMER_MESSAGE },
];

async function runToolCalls(message) {
  // Run the turn's tool calls concurrently, as agents do; print them in call order so the
  // transcript does not depend on which response came back first.
  const results = await Promise.all(
    message.tool_calls.map(async (call) => {
      let args;
      try {
        args = JSON.parse(call.function.arguments);
      } catch {
        return { status: 0, text: JSON.stringify({ error: 'arguments were not valid JSON' }) };
      }
      return runTool(call.function.name, args);
    }),
  );
  if (message.tool_calls.length > 1) say(`agent    · ${message.tool_calls.length} tool calls at once\n`);
  message.tool_calls.forEach((call, i) => {
    say(`tool     › ${call.function.name}(${call.function.arguments})\n`);
    say(`         ‹ ${results[i].status} ${results[i].text}\n`);
    messages.push({ role: 'tool', tool_call_id: call.id, content: results[i].text });
  });
}

async function converse() {
  for (let turn = 1; turn <= MAX_TURNS; turn++) {
    const message = streaming ? await askStreaming(messages) : await askOnce(messages);
    messages.push(message);
    if (!message.tool_calls?.length) return true;
    await runToolCalls(message);
  }
  return false;
}

const session = await database?.openSession();
if (session) say(`session  · visit ${session.visits}${session.lastRefund ? `, last refund ${session.lastRefund}` : ''}\n`);
say(`customer › ${CUSTOMER_MESSAGE}\n`);
try {
  if (!(await converse())) {
    say(`agent gave up after ${MAX_TURNS} model turns\n`);
    process.exitCode = 1;
  }
} finally {
  await database?.close();
}
