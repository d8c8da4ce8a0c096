import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import { TapeMatcher, type BlockedConnection, type ReplayReport } from '@tracetape/core';
import { attachHttpPlayback } from '../http/http-playback.js';
import { acquirePlaybackLock } from './playback-lock.js';
import { attachSocketGuard } from './socket-guard.js';
import type { PlaybackOptions } from '../types.js';

/** Playback mode for this process: outbound HTTP is answered from the tape. */
export class PlaybackSession {
  private readonly interceptor = new HttpRequestInterceptor();
  private readonly matcher: TapeMatcher;
  private readonly detach: () => void;
  private readonly detachGuard: () => void;
  private readonly blockedConnections: BlockedConnection[] = [];
  private readonly releaseLock: () => void;

  /** Throws PlaybackAlreadyActiveError while another session of this process is not disposed. */
  constructor(options: PlaybackOptions) {
    this.matcher = new TapeMatcher(options.tape, { allowModelDrift: options.allowModelDrift ?? [] });
    this.releaseLock = acquirePlaybackLock();
    try {
      this.interceptor.apply();
      this.detach = attachHttpPlayback(this.interceptor, this.matcher, options);
      // --then-live lets what the tape cannot answer go out; raw sockets included.
      this.detachGuard = options.thenLive
        ? () => undefined
        : attachSocketGuard({
            liveHosts: options.liveHosts ?? [],
            onBlocked: (connection, error) => {
              this.blockedConnections.push(connection);
              options.onDivergence?.(error);
            },
          });
    } catch (error) {
      this.interceptor.dispose();
      this.releaseLock();
      throw error;
    }
  }

  report(): ReplayReport {
    const report = this.matcher.report();
    return this.blockedConnections.length > 0 ? { ...report, blockedConnections: [...this.blockedConnections] } : report;
  }

  dispose(): void {
    this.detachGuard();
    this.detach();
    this.interceptor.dispose();
    this.releaseLock();
  }
}
