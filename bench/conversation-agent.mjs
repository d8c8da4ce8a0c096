// The agent the storage benchmark records: a support agent on the official openai SDK that keeps
// one conversation going for TURNS requests, resending the whole history (system prompt, tool
// schemas, every message so far) each time, as chat-completions agents do. Every fifth request is
// streamed. It prints one line per turn derived from the model's answer, so a replay that served
// anything other than the recorded answers prints something else.
//
//   OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 TURNS=50 SEED=1 node bench/conversation-agent.mjs
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { systemPrompt, toolResult, toolSchemas, userMessage } from './conversation-text.mjs';

const turns = Number(process.env.TURNS ?? 50);
const seed = Number(process.env.SEED ?? 1);
const model = 'gpt-bench';
const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: 'sk-bench-not-a-real-key', maxRetries: 0 });
const tools = toolSchemas(seed);
const messages = [
  { role: 'system', content: systemPrompt(seed) },
  { role: 'user', content: userMessage(seed, 0) },
];

const digest = (text) => createHash('sha256').update(text).digest('hex').slice(0, 12);

async function streamed() {
  const stream = await client.chat.completions.create({ model, messages, tools, temperature: 0.2, stream: true, stream_options: { include_usage: true } });
  let content = '';
  let usage;
  for await (const chunk of stream) {
    content += chunk.choices[0]?.delta?.content ?? '';
    usage = chunk.usage ?? usage;
  }
  return { message: { role: 'assistant', content }, usage };
}

async function whole() {
  const completion = await client.chat.completions.create({ model, messages, tools, temperature: 0.2 });
  const { role, content, tool_calls } = completion.choices[0].message;
  return { message: tool_calls?.length ? { role, content, tool_calls } : { role, content }, usage: completion.usage };
}

for (let turn = 1; turn <= turns; turn++) {
  const { message, usage } = turn % 5 === 0 ? await streamed() : await whole();
  messages.push(message);
  const call = message.tool_calls?.[0];
  if (call) {
    console.log(`turn ${turn}: tool ${call.function.name} ${digest(call.function.arguments)} (${usage?.prompt_tokens ?? '?'} prompt tokens)`);
    messages.push({ role: 'tool', tool_call_id: call.id, content: toolResult(seed, turn, call.function.name) });
  } else {
    console.log(`turn ${turn}: answer ${digest(message.content)} ${message.content.length} chars (${usage?.prompt_tokens ?? '?'} prompt tokens)`);
    messages.push({ role: 'user', content: userMessage(seed, turn) });
  }
}
console.log(`done: ${turns} turns, ${messages.length} messages`);
