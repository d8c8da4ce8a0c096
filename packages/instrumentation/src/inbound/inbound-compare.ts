import { canonicalBody, decodeBody, diffResponses, type FieldDiff, type RecordedResponse } from '@tracetape/core';
import { decodeContent, isSupportedEncoding, parseContentEncoding } from '../http/content-encoding.js';

/** What the replayed server sent back, as it came off the wire. */
export interface ReplayedResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface InboundComparison {
  match: boolean;
  diff: FieldDiff[];
}

/**
 * Compares a replayed server response with the recorded one: the status, and the body decoded
 * from its content-encoding, JSON canonically (key order and whitespace never count), anything
 * else byte for byte. A recorded body cut off at the capture limit only has to be a prefix.
 */
export function compareInboundResponse(recorded: RecordedResponse, replayed: ReplayedResponse): InboundComparison {
  const header = (headers: Array<[string, string]>, wanted: string) =>
    headers.find(([name]) => name.toLowerCase() === wanted)?.[1];
  const replayedCodings = parseContentEncoding(header(replayed.headers, 'content-encoding') ?? null);

  let recordedBytes: Buffer = recordedBodyBytes(recorded);
  let replayedBytes: Buffer = Buffer.from(replayed.body);
  if (recorded.bodyStillEncoded) {
    // Recorded as it went out (an encoding we could not undo): compare what goes out now.
  } else if (replayedCodings.length > 0 && isSupportedEncoding(replayedCodings)) {
    try {
      replayedBytes = decodeContent(replayedBytes, replayedCodings);
    } catch {
      // A broken encoding: the raw bytes will differ, which is the news.
    }
  }
  if (recorded.truncated && replayedBytes.subarray(0, recordedBytes.byteLength).equals(recordedBytes)) {
    recordedBytes = replayedBytes;
  }

  const recordedBody = canonicalBody(recordedBytes, header(recorded.headers, 'content-type'));
  const replayedBody = canonicalBody(replayedBytes, header(replayed.headers, 'content-type'));
  const sameBody = recordedBody.encoding === replayedBody.encoding && recordedBody.data === replayedBody.data;
  if (recorded.status === replayed.status && sameBody) return { match: true, diff: [] };
  return {
    match: false,
    diff: diffResponses({ status: recorded.status, body: recordedBody }, { status: replayed.status, body: replayedBody }),
  };
}

function recordedBodyBytes(recorded: RecordedResponse): Buffer {
  if (recorded.chunks) return Buffer.concat(recorded.chunks.map((chunk) => decodeBody(chunk.body)));
  return recorded.body ? Buffer.from(decodeBody(recorded.body)) : Buffer.alloc(0);
}
