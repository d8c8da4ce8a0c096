import { TRACETAPE_FORMAT_UNANSWERED, TRACETAPE_FORMAT_VERSION } from './attributes.js';
import type { RecordedResponse, UnansweredCall } from './tape.js';

/** What a call nothing had answered when its process ended is recorded with, outbound or inbound alike. */
export function unansweredResponse(unanswered: UnansweredCall): RecordedResponse {
  const ending = unanswered.signal ? `${unanswered.signal} stopped the process` : 'the process exited';
  return { status: 0, statusText: '', headers: [], complete: false, error: `no answer yet when ${ending}`, unanswered };
}

/** The tracetape.format of a span recording `response`: the oldest that holds it. */
export function spanFormatOf(response: RecordedResponse): string {
  return response.unanswered !== undefined ? TRACETAPE_FORMAT_UNANSWERED : TRACETAPE_FORMAT_VERSION;
}
