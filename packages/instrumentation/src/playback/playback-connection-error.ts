import { TracetapeError, type BlockedConnection } from '@tracetape/core';

/** A connection playback refused: it speaks no HTTP the tape could answer, and its host is not live. */
export class PlaybackConnectionBlockedError extends TracetapeError {
  readonly host: string;
  readonly port: number | undefined;

  constructor(host: string, port: number | undefined, reason: BlockedConnectionReason) {
    const target = port === undefined ? host : `${host}:${port}`;
    const why = WHY[reason];
    super(
      'TRACETAPE_PLAYBACK_CONNECTION_BLOCKED',
      `tracetape: playback blocked ${reason === 'udp' ? 'a datagram' : 'a connection'} to ${target}: it ${why}, and nothing leaves the process in a replay. ` +
        `To let it reach the network, mark the host live: \`tracetape replay --live-host ${target} …\` (or TRACETAPE_LIVE_HOSTS=${target}).`,
    );
    this.host = host;
    this.port = port;
  }
}

export type BlockedConnectionReason = BlockedConnection['reason'];

const WHY: Record<BlockedConnectionReason, string> = {
  'server-speaks-first': 'waits for the server to speak first, so it is no HTTP call the tape could answer',
  'not-http': 'is a raw socket, not an HTTP call the tape could answer',
  http2: 'is an HTTP/2 connection, which the tape cannot answer yet',
  udp: 'is a UDP datagram',
};
