import type { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { HttpAnswerer } from './http-answer.js';
import { toFetchResponse } from './playback-response.js';
import { readRequest } from './request-reader.js';

/**
 * Playback at the socket: every outbound HTTP call that reaches a socket (node:http, a userland
 * undici, a fetch the dispatcher door let through) is answered from the tape or fails; none
 * reaches the network.
 */
export function attachHttpPlayback(interceptor: HttpRequestInterceptor, answer: HttpAnswerer): () => void {
  const onRequest = async ({
    request,
    controller,
  }: {
    request: Request;
    controller: { respondWith(response: Response): void; errorWith(error?: Error): void };
  }): Promise<void> => {
    const answered = await answer({
      method: request.method,
      url: request.url,
      header: (name) => request.headers.get(name),
      read: () => readRequest(request),
      signal: request.signal,
    });
    if (answered.kind === 'fail') controller.errorWith(answered.error);
    else if (answered.kind === 'serve') controller.respondWith(toFetchResponse(answered.response));
  };

  interceptor.on('request', onRequest);
  return () => interceptor.removeListener('request', onRequest);
}
