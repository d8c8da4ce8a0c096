import type { InboundExchange, LlmCallInfo, NondeterminismRecord, Tape, TapeEntry } from '@tracetape/core';

/** A readable listing of a tape: one line per step, numbered as replay reports and divergences name them. */
export function renderTimeline(tape: Tape): string {
  const incomplete = tape.incomplete
    ? `\nINCOMPLETE recording: ${tape.incomplete.reason}${tape.incomplete.lostSpans ? ` (${tape.incomplete.lostSpans} span(s) lost)` : ''}; a replay runs up to the last step below`
    : '';
  const header = `trace ${tape.traceId}  service ${tape.serviceName || '-'}  run ${tape.rootName || '-'}  recorded ${tape.recordedAt}${incomplete}`;
  const rows = tape.entries.map((entry) => [
    String(entry.step),
    entry.llm ? 'llm' : entry.kind,
    entry.request.normalized.method,
    entry.request.normalized.url,
    entry.response.status === 0 ? 'error' : String(entry.response.status),
    formatBytes(responseSize(entry)),
    `${entry.durationMs.toFixed(1)} ms`,
    notes(entry),
  ]);
  const columns = ['step', 'kind', 'method', 'url', 'status', 'size', 'duration', ''];
  const widths = columns.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const inbound = tape.inbound ? [inboundLine(tape.inbound)] : [];
  const reads = tape.nondeterminism ? ['', readsLine(tape.nondeterminism)] : [];
  return [header, ...inbound, '', line(columns), ...rows.map(line), ...reads].join('\n');
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
  if (entry.llm) parts.push(llmNote(entry.llm));
  if (entry.response.chunks) parts.push(`streamed, ${entry.response.chunks.length} chunks`);
  if (entry.response.contentEncoding) parts.push(entry.response.contentEncoding);
  if (entry.response.truncated) parts.push('TRUNCATED');
  if (!entry.response.complete) parts.push('body not read to its end');
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

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

