import type { Tape, TapeEntry } from '@tracetape/core';

/** A readable listing of a tape: one line per step, numbered as replay reports and divergences name them. */
export function renderTimeline(tape: Tape): string {
  const header = `trace ${tape.traceId}  service ${tape.serviceName || '-'}  run ${tape.rootName || '-'}  recorded ${tape.recordedAt}`;
  const rows = tape.entries.map((entry) => [
    String(entry.step),
    entry.request.normalized.method,
    entry.request.normalized.url,
    entry.response.status === 0 ? 'error' : String(entry.response.status),
    formatBytes(responseSize(entry)),
    `${entry.durationMs.toFixed(1)} ms`,
    notes(entry),
  ]);
  const columns = ['step', 'method', 'url', 'status', 'size', 'duration', ''];
  const widths = columns.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [header, '', line(columns), ...rows.map(line)].join('\n');
}

function responseSize(entry: TapeEntry): number {
  const { body, chunks } = entry.response;
  if (chunks) return chunks.reduce((sum, chunk) => sum + chunk.body.size, 0);
  return body ? body.size : 0;
}

function notes(entry: TapeEntry): string {
  const parts: string[] = [];
  if (entry.response.chunks) parts.push(`streamed, ${entry.response.chunks.length} chunks`);
  if (entry.response.contentEncoding) parts.push(entry.response.contentEncoding);
  if (entry.response.truncated) parts.push('TRUNCATED');
  if (!entry.response.complete) parts.push('incomplete');
  if (entry.response.error) parts.push(entry.response.error);
  return parts.join(', ');
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

