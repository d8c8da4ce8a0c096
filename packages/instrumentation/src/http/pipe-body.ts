import type { ResponseBodySink } from './outbound-traffic.js';

/**
 * Reads a body stream (a copy, never the app's) into a sink in the background. When the sink wants
 * no more (over the size limit) the copy is cancelled, so it stops buffering; the app's stream flows on.
 */
export async function pipeBody(body: ReadableStream<Uint8Array> | null, sink: ResponseBodySink): Promise<void> {
  if (!body) {
    sink.end();
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sink.write(value);
      if (!sink.wantsMore) {
        void reader.cancel().catch(() => {});
        return;
      }
    }
    sink.end();
  } catch (error) {
    sink.end(error);
  }
}
