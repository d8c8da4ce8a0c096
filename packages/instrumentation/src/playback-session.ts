import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import { TapeMatcher, type ReplayReport } from '@tracetape/core';
import { attachHttpPlayback } from './http-playback.js';
import { acquirePlaybackLock } from './playback-lock.js';
import type { PlaybackOptions } from './types.js';

/** Playback mode for this process: outbound HTTP is answered from the tape. */
export class PlaybackSession {
  private readonly interceptor = new HttpRequestInterceptor();
  private readonly matcher: TapeMatcher;
  private readonly detach: () => void;
  private readonly releaseLock: () => void;

  /** Throws PlaybackAlreadyActiveError while another session of this process is not disposed. */
  constructor(options: PlaybackOptions) {
    this.matcher = new TapeMatcher(options.tape, { allowModelDrift: options.allowModelDrift ?? [] });
    this.releaseLock = acquirePlaybackLock();
    try {
      this.interceptor.apply();
      this.detach = attachHttpPlayback(this.interceptor, this.matcher, options);
    } catch (error) {
      this.interceptor.dispose();
      this.releaseLock();
      throw error;
    }
  }

  report(): ReplayReport {
    return this.matcher.report();
  }

  dispose(): void {
    this.detach();
    this.interceptor.dispose();
    this.releaseLock();
  }
}
