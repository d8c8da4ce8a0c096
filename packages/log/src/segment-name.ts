import { isMainThread, threadId } from 'node:worker_threads';

export const SEGMENT_SUFFIX = '.ttlog';

/** Who wrote a segment: one writer per thread of one process, for its lifetime. */
export interface WriterIdentity {
  /** When the writer was created, ms since the epoch: tells a reused pid from the original. */
  startedMs: number;
  pid: number;
  threadId: number;
}

export interface SegmentName extends WriterIdentity {
  /** 1, 2, … for each segment a writer fills in turn. */
  sequence: number;
  file: string;
}

export function currentWriter(): WriterIdentity {
  return { startedMs: Date.now(), pid: process.pid, threadId: isMainThread ? 0 : threadId };
}

/** `<startedMs>-<pid>-<threadId>`: stable across a writer's segments, the key its runs are stored under. */
export function writerKey(writer: WriterIdentity): string {
  return `${String(writer.startedMs).padStart(15, '0')}-${String(writer.pid).padStart(10, '0')}-${String(writer.threadId).padStart(5, '0')}`;
}

/** Names sort by the writer's start, then pid, thread and sequence: ingest reads them in that order. */
export function segmentFileName(writer: WriterIdentity, sequence: number): string {
  return `${writerKey(writer)}-${String(sequence).padStart(6, '0')}${SEGMENT_SUFFIX}`;
}

export function parseSegmentName(file: string): SegmentName | undefined {
  const match = /^(\d{15})-(\d{10})-(\d{5})-(\d{6})\.ttlog$/.exec(file);
  if (!match) return undefined;
  return { startedMs: Number(match[1]), pid: Number(match[2]), threadId: Number(match[3]), sequence: Number(match[4]), file };
}
