import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import type { OutboundCallListener, OutboundTraffic } from './outbound-traffic.js';
import { pipeBody } from './pipe-body.js';

/**
 * Outbound HTTP as @mswjs/interceptors' socket-level interceptor sees it, on every Node version:
 * the request read from a clone (so the original still goes out), the response from the copy the
 * interceptor hands its listeners.
 */
export class InterceptorTraffic implements OutboundTraffic {
  private readonly interceptor = new HttpRequestInterceptor();

  apply(): void {
    this.interceptor.apply();
  }

  dispose(): void {
    this.interceptor.dispose();
  }

  listen(listener: OutboundCallListener): () => void {
    const onRequest = ({ request, requestId }: { request: Request; requestId: string }): void => {
      const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
      listener.request({
        requestId,
        method: request.method,
        url: request.url,
        headers: [...request.headers],
        body: hasBody ? request.clone().arrayBuffer().then((bytes) => new Uint8Array(bytes)) : undefined,
      });
    };
    const onResponse = ({ response, requestId }: { response: Response; requestId: string }): void => {
      const sink = listener.response({ requestId, status: response.status, statusText: response.statusText, headers: [...response.headers] });
      // The interceptor's copy is ours to read: reading it takes nothing from the app.
      if (sink) void pipeBody(response.body, sink);
    };
    this.interceptor.on('request', onRequest);
    this.interceptor.on('response', onResponse);
    return () => {
      this.interceptor.removeListener('request', onRequest);
      this.interceptor.removeListener('response', onResponse);
    };
  }
}
