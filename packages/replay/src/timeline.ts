import { isoToMs, lastUserText, llmConversation, type InboundExchange, type LlmCallInfo, type NondeterminismRecord, type Tape, type TapeEntry } from '@tracetape/core';
import { PLAIN, type Palette } from './colour.js';
import { formatDuration, formatOffset } from './human-format.js';

/** How much of the prompt a timeline line shows: enough to tell the calls of a conversation apart. */
const PROMPT_SNIPPET_CHARS = 60;

/**
 * A readable listing of a tape: one line per step, numbered as replay reports and divergences
 * name them, with when it started after the run did.
 */
export function renderTimeline(tape: Tape, colour: Palette = PLAIN): string {
  const incomplete = tape.incomplete
    ? `\nINCOMPLETE recording: ${tape.incomplete.reason}${tape.incomplete.lostSpans ? ` (${tape.incomplete.lostSpans} span(s) lost)` : ''}; a replay runs up to the last step below`
    : '';
  const header = `${colour.bold('trace')} ${tape.traceId}  service ${tape.serviceName || '-'}  run ${tape.rootName || '-'}  recorded ${tape.recordedAt}${incomplete}`;
  const runStart = isoToMs(tape.recordedAt);
  const rows = tape.entries.map((entry) => [
    String(entry.step),
    formatOffset(isoToMs(entry.startTime) - runStart),
    entry.llm ? 'llm' : entry.kind,
    entry.request.normalized.method,
    entry.request.normalized.url,
    entry.response.status === 0 ? 'error' : String(entry.response.status),
    formatBytes(responseSize(entry)),
    formatDuration(entry.durationMs),
    notes(entry),
  ]);
  const columns = ['step', 'start', 'kind', 'method', 'url', 'status', 'size', 'duration', ''];
  const widths = columns.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  // Padded before colouring: escape codes take no columns on screen.
  const line = (cells: string[], paint: (cell: string, column: number) => string = (cell) => cell) =>
    cells.map((cell, i) => paint(cell.padEnd(widths[i]!), i)).join('  ').trimEnd();
  const status = columns.indexOf('status');
  const paintRow = (cell: string, column: number) => (column === status && /^(error|[45]\d\d)/.test(cell) ? colour.red(cell) : cell);
  const inbound = tape.inbound ? [inboundLine(tape.inbound)] : [];
  const reads = tape.nondeterminism ? ['', readsLine(tape.nondeterminism)] : [];
  return [header, ...inbound, '', line(columns, (cell) => colour.bold(cell)), ...rows.map((row) => line(row, paintRow)), ...reads].join('\n');
}

/** The clock and random reads the tape answers, per source, in the order they are served. */
function readsLine(record: NondeterminismRecord): string {
  const counts = [
    ['clock', record.clock?.deltas.length ?? 0],
    ['random', record.random?.length ?? 0],
    ['uuid', record.uuid?.length ?? 0],
    ['bytes', record.bytes?.length ?? 0],
  ] as const;
  return `reads  ${counts.filter(([, n]) => n > 0).map(([source, n]) => `${source} ${n}`).join(', ')}`;
}

/** The request that started a server trace, which replay sends again, and what it was answered. */
function inboundLine({ request, response }: InboundExchange): string {
  const body = response.chunks ? response.chunks.reduce((sum, chunk) => sum + chunk.body.size, 0) : (response.body?.size ?? 0);
  const notes = [request.truncated ? 'request TRUNCATED' : '', response.truncated ? 'response TRUNCATED' : ''].filter(Boolean);
  return `inbound ${request.normalized.method} ${request.normalized.url} -> ${response.status}, ${formatBytes(body)}${notes.length ? `, ${notes.join(', ')}` : ''}`;
}

function responseSize(entry: TapeEntry): number {
  const { body, chunks } = entry.response;
  if (chunks) return chunks.reduce((sum, chunk) => sum + chunk.body.size, 0);
  return body ? body.size : 0;
}

function notes(entry: TapeEntry): string {
  const parts: string[] = [];
  if (entry.llm) parts.push(llmNote(entry.llm), ...conversationNotes(entry));
  if (entry.response.chunks) parts.push(`streamed, ${entry.response.chunks.length} chunks`);
  if (entry.response.contentEncoding) parts.push(entry.response.contentEncoding);
  if (entry.response.truncated) parts.push('TRUNCATED');
  // An unanswered call's error says so (`no answer yet when SIGINT stopped the process`): it had no body to read.
  if (!entry.response.complete && !entry.response.unanswered) parts.push('body not read to its end');
  if (entry.response.error) parts.push(entry.response.error);
  return parts.join(', ');
}

/** `anthropic chat claude-x, 12 in / 5 out tokens`; the answering model too when it differs from the one asked for. */
function llmNote(llm: LlmCallInfo): string {
  const asked = llm.requestModel ?? llm.responseModel ?? '?';
  const model = llm.responseModel && llm.responseModel !== asked ? `${asked} -> ${llm.responseModel}` : asked;
  const tokens =
    llm.inputTokens !== undefined || llm.outputTokens !== undefined
      ? `, ${llm.inputTokens ?? '?'} in / ${llm.outputTokens ?? '?'} out tokens`
      : '';
  return `${llm.provider} ${llm.operation} ${model}${tokens}`;
}

/** The tools the model called, and the last thing the user asked, cut to one line. */
function conversationNotes(entry: TapeEntry): string[] {
  const conversation = llmConversation(entry.request.normalized, entry.response);
  if (!conversation) return [];
  const notes: string[] = [];
  if (conversation.calledTools.length > 0) notes.push(`calls ${conversation.calledTools.join(', ')}`);
  const prompt = lastUserText(conversation);
  if (prompt) notes.push(`prompt ${JSON.stringify(snippet(prompt))}`);
  return notes;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  // Whitespace folded, so a multi-line prompt keeps its step on one line.
  return flat.length <= PROMPT_SNIPPET_CHARS ? flat : `${flat.slice(0, PROMPT_SNIPPET_CHARS - 1).trimEnd()}…`;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

