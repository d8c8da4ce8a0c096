import { decodeBody, isoToMs, llmConversation, type EncodedBody, type LlmCallInfo, type RecordedResponse, type Tape, type TapeEntry } from '@tracetape/core';
import { PLAIN, type Palette } from './colour.js';
import { formatDuration, formatOffset } from './human-format.js';
import { formatBytes } from './timeline.js';

/**
 * One step of a tape in full, for `tracetape tape <traceId> --step N`: what was asked and answered,
 * decoded and readable (JSON indented, binary said as such, streamed chunks with their timing),
 * the input hash replay matches on, and for LLM calls the model, tools and messages.
 */
export function renderStep(tape: Tape, entry: TapeEntry, colour: Palette = PLAIN): string {
  const out: string[] = [];
  const heading = (title: string) => out.push('', colour.bold(title));
  const field = (name: string, value: string) => out.push(`  ${name.padEnd(12)}${value}`);
  const { normalized, headers } = entry.request;
  const { response } = entry;

  out.push(
    `${colour.bold(`step ${entry.step}`)} of ${tape.entries.length}  trace ${tape.traceId}  ` +
      `${formatOffset(isoToMs(entry.startTime) - isoToMs(tape.recordedAt))} after the run started, took ${formatDuration(entry.durationMs)}`,
  );
  field('span', `${entry.spanName} (${entry.spanId})`);
  field('input hash', entry.inputHash);
  if (entry.process) field('process', entry.process);
  if (entry.override) field('override', entry.override.source);

  heading('request');
  out.push(`  ${normalized.method} ${normalized.url}`);
  for (const [name, value] of headers) out.push(`  ${name}: ${value}`);
  out.push(...bodyLines(normalized.body, normalized.headers['content-type']));

  heading('response');
  const status = response.status === 0 ? colour.red('no response') : `${response.status} ${response.statusText}`.trimEnd();
  out.push(`  ${response.status >= 400 ? colour.red(status) : status}`);
  if (response.error) out.push(`  ${colour.red('error')}: ${response.error}`);
  for (const [name, value] of response.headers) out.push(`  ${name}: ${value}`);
  const notes = responseNotes(response);
  if (notes.length > 0) out.push(`  (${notes.join('; ')})`);
  if (response.chunks) out.push(...chunkLines(response, colour));
  else out.push(...bodyLines(response.body, headerValue(response.headers, 'content-type'), response.bodyStillEncoded));

  if (entry.llm) out.push(...llmLines(entry, entry.llm, colour));
  return out.join('\n');
}

function responseNotes(response: RecordedResponse): string[] {
  const notes: string[] = [];
  if (response.contentEncoding) notes.push(`arrived ${response.contentEncoding}-encoded, ${response.bodyStillEncoded ? 'stored as it arrived' : 'shown decoded'}`);
  if (response.truncated) notes.push('TRUNCATED: the body passed the capture size limit and was cut off');
  if (response.unanswered) notes.push(`no answer: the process ended${response.unanswered.signal ? ` (${response.unanswered.signal})` : ''} while the call waited, and a replay leaves it unanswered`);
  else if (!response.complete) notes.push('body not read to its end');
  return notes;
}

/** A body decoded and readable: JSON indented, other text as is, binary named and not dumped. */
function bodyLines(body: EncodedBody | undefined, contentType: string | undefined, stillEncoded = false): string[] {
  if (!body || body.size === 0) return ['  (no body)'];
  const type = contentType ? `, ${contentType.split(';')[0]!.trim()}` : '';
  if (body.encoding === 'base64' || stillEncoded) {
    return [`  body: ${formatBytes(body.size)} of binary data${type}, not shown (\`tracetape tape <traceId> --json\` has it in base64)`];
  }
  const json = prettyJson(body.data);
  return [`  body: ${formatBytes(body.size)}${json === undefined ? type : ', JSON'}`, indent(json ?? body.data, 4)];
}

/** A streamed response: each chunk at its offset after the response headers, joined in order. */
function chunkLines(response: RecordedResponse, colour: Palette): string[] {
  const chunks = response.chunks ?? [];
  const size = chunks.reduce((sum, chunk) => sum + chunk.body.size, 0);
  const span = chunks.length > 0 ? formatDuration(chunks.at(-1)!.offsetMs) : '0 ms';
  const lines = [`  streamed: ${chunks.length} chunk(s), ${formatBytes(size)} over ${span}`];
  const offsets = chunks.map((chunk) => formatOffset(chunk.offsetMs));
  const width = Math.max(0, ...offsets.map((offset) => offset.length));
  chunks.forEach((chunk, i) => {
    const text =
      chunk.body.encoding === 'base64'
        ? `(${formatBytes(chunk.body.size)} of binary data)`
        : Buffer.from(decodeBody(chunk.body)).toString('utf8').replace(/\n+$/, '');
    const [first = '', ...rest] = text.split('\n');
    lines.push(`    ${colour.dim(offsets[i]!.padEnd(width))}  ${first}`);
    for (const line of rest) lines.push(`    ${' '.repeat(width)}  ${line}`);
  });
  return lines;
}

/** The model, tokens, tools and messages of an LLM call. */
function llmLines(entry: TapeEntry, llm: LlmCallInfo, colour: Palette): string[] {
  const field = (name: string, value: string) => `  ${name.padEnd(12)}${value}`;
  const lines = ['', colour.bold('llm'), field('provider', `${llm.provider} ${llm.operation}`)];
  const asked = llm.requestModel ?? '?';
  lines.push(field('model', llm.responseModel && llm.responseModel !== asked ? `${asked} (answered by ${llm.responseModel})` : asked));
  if (llm.inputTokens !== undefined || llm.outputTokens !== undefined) lines.push(field('tokens', `${llm.inputTokens ?? '?'} in / ${llm.outputTokens ?? '?'} out`));
  const conversation = llmConversation(entry.request.normalized, entry.response);
  if (!conversation) return lines;
  lines.push(field('tools', conversation.offeredTools.length > 0 ? conversation.offeredTools.join(', ') : '(none offered)'));
  if (conversation.calledTools.length > 0) lines.push(field('tool calls', conversation.calledTools.join(', ')));
  lines.push(`  messages (${conversation.messages.length})`);
  for (const message of conversation.messages) {
    const [first = '', ...rest] = (message.text || '(no text)').split('\n');
    lines.push(`    ${colour.bold(`[${message.role}]`)} ${first}`);
    for (const line of rest) lines.push(`      ${line}`);
  }
  return lines;
}

function prettyJson(text: string): string | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.replace(/^/gm, pad);
}

function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name)?.[1];
}
