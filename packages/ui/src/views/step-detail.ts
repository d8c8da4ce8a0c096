import { isoToMs, isSideEffect, type Tape, type TapeEntry } from '@tracetape/core';
import type { StepDetail } from '../api.js';
import { chatView } from './chat-view.js';
import { shownBody } from './shown-body.js';
import { stepSummary } from './step-summary.js';

/** One step whole, as the detail pane shows it under the scrubber. */
export function stepDetail(tape: Tape, entry: TapeEntry): StepDetail {
  const { request, response } = entry;
  const detail: StepDetail = {
    summary: stepSummary(entry, isoToMs(tape.recordedAt)),
    spanName: entry.spanName,
    inputHash: entry.inputHash,
    request: {
      method: request.normalized.method,
      url: request.normalized.url,
      headers: request.headers,
      ...(request.normalized.body ? { body: shownBody(request.normalized.body) } : {}),
    },
    response: {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      complete: response.complete,
      ...(response.body ? { body: shownBody(response.body) } : {}),
      ...(response.chunks ? { chunks: response.chunks.map((chunk) => ({ offsetMs: chunk.offsetMs, body: shownBody(chunk.body) })) } : {}),
      ...(response.error ? { error: response.error } : {}),
      ...(response.truncated ? { truncated: true } : {}),
    },
  };
  const chat = chatView(entry);
  if (chat) detail.chat = chat;
  const previous = previousSideEffect(tape, entry.step);
  if (previous !== undefined) detail.previousSideEffect = previous;
  return detail;
}

/** The latest side-effect step before `step`: where "rewind to before the side effect" aims. */
function previousSideEffect(tape: Tape, step: number): number | undefined {
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i]!;
    if (entry.step < step && !entry.llm && isSideEffect(entry)) return entry.step;
  }
  return undefined;
}
