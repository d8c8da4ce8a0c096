import http from 'node:http';
import https from 'node:https';

/** Errors that mean nothing is there to answer, as opposed to something answering badly. */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** An export request with nothing in it: any OTLP receiver takes it, and stores nothing. */
const EMPTY_REQUEST = '{"resourceSpans":[]}';

/**
 * Whether anything answers at the URL, within `timeoutMs`: any status counts as an answer. At
 * exit there is no time for the transport's retries against a collector that is not there, and a
 * refused connection is known in a millisecond. An empty OTLP/JSON export, not a bare socket,
 * with the headers that mark tracetape's own traffic: capture ignores it, playback lets it out,
 * and a receiver sees an ordinary request rather than an odd method it would log as an error.
 * Undecided (undefined) when it neither answers nor fails that plainly in time.
 */
export function probeListening(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ listening: boolean; reason?: string } | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: { listening: boolean; reason?: string } | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    let request: http.ClientRequest;
    try {
      request = (url.startsWith('https:') ? https : http).request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => done(undefined), timeoutMs);
    request.once('response', (response) => {
      response.resume();
      done({ listening: true });
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      done(error.code && NOT_LISTENING.has(error.code) ? { listening: false, reason: `${error.message}` } : undefined);
    });
    request.end(EMPTY_REQUEST);
  });
}
