import { randomBytes } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { INTERNAL_REQUEST_HEADER } from '@tracetape/core';

/**
 * The replayed inbound request leaves the process as tracetape's own traffic (the internal header,
 * so the playback interceptor lets it through to the loopback server), but must reach the app as
 * the request it recorded. The header carries a per-process token; Node announces every inbound
 * request on a diagnostics channel before the server emits it, which is where the header is taken
 * out again, before the HTTP instrumentation or any handler reads the headers.
 */
export class InboundMarker {
  readonly header = INTERNAL_REQUEST_HEADER;
  readonly token = `inbound-replay ${randomBytes(12).toString('hex')}`;
  private readonly onRequestStart = (message: unknown): void => {
    const request = (message as { request?: IncomingMessage }).request;
    if (request && request.headers[this.header] === this.token) strip(request, this.header);
  };

  constructor() {
    diagnosticsChannel.subscribe('http.server.request.start', this.onRequestStart);
  }

  dispose(): void {
    diagnosticsChannel.unsubscribe('http.server.request.start', this.onRequestStart);
  }
}

function strip(request: IncomingMessage, header: string): void {
  // `headers` and `headersDistinct` are built lazily from rawHeaders with the parser's header
  // count: build them while rawHeaders is intact, then take the marker out of all three.
  delete request.headers[header];
  delete request.headersDistinct[header];
  const raw = request.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === header) raw.splice(i, 2);
  }
}
