import type { BlockedConnection } from '@tracetape/core';
import { isLiveHost } from '../playback/live-hosts.js';
import { PlaybackConnectionBlockedError } from '../playback/playback-connection-error.js';
import { onHttp2Connection } from './http2-connections.js';

export interface Http2GuardOptions {
  liveHosts: readonly string[];
  onBlocked: (connection: BlockedConnection, error: PlaybackConnectionBlockedError) => void;
}

/**
 * Playback's refusal of an HTTP/2 socket the tape cannot answer: one an app made itself and handed
 * to `http2.connect` (`createConnection`), which the HTTP/2 playback's own sessions never open.
 * The socket interceptor would hold it for ever; it fails with TRACETAPE_PLAYBACK_CONNECTION_BLOCKED
 * (reason `http2`) unless its host is live. A live host's socket goes out when it was made inside
 * `createConnection`; one connected before the session started cannot be passed through any more
 * once the session owns it (the session writes through its native handle). Returns the undo.
 */
export function attachHttp2Guard(options: Http2GuardOptions): () => void {
  return onHttp2Connection((connection) => {
    if (isLiveHost(connection.host, connection.port, options.liveHosts)) return connection.passthrough();
    const error = new PlaybackConnectionBlockedError(connection.host, connection.port, 'http2');
    options.onBlocked({ host: connection.host, ...(connection.port === undefined ? {} : { port: connection.port }), reason: 'http2' }, error);
    connection.refuse(error);
  });
}
