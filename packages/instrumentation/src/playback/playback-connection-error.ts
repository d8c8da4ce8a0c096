import { TracetapeError, type BlockedConnection } from '@tracetape/core';

/** A connection playback refused: it speaks no HTTP the tape could answer, and its host is not live. */
export class PlaybackConnectionBlockedError extends TracetapeError {
  readonly host: string;
  readonly port: number | undefined;

  constructor(host: string, port: number | undefined, reason: BlockedConnectionReason) {
    const target = port === undefined ? host : `${host}:${port}`;
    const why =
      reason === 'server-speaks-first'
        ? 'waits for the server to speak first, so it is no HTTP call the tape could answer'
        : 'is a raw socket, not an HTTP call the tape could answer';
    super(
      'TRACETAPE_PLAYBACK_CONNECTION_BLOCKED',
      `tracetape: playback blocked a connection to ${target}: it ${why}, and nothing leaves the process in a replay. ` +
        `To let it reach the network, mark the host live: \`tracetape replay --live-host ${target} …\` (or TRACETAPE_LIVE_HOSTS=${target}).`,
    );
    this.host = host;
    this.port = port;
  }
}

export type BlockedConnectionReason = BlockedConnection['reason'];
