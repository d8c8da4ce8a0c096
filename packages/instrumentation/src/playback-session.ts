import { HttpRequestInterceptor } from '@mswjs/interceptors/http';
import { TapeMatcher, type ReplayReport } from '@tracetape/core';
import { attachHttpPlayback } from './http-playback.js';
import type { PlaybackOptions } from './types.js';

/** Playback mode for this process: outbound HTTP is answered from the tape. */
export class PlaybackSession {
  private readonly interceptor = new HttpRequestInterceptor();
  private readonly matcher: TapeMatcher;
  private readonly detach: () => void;

  constructor(options: PlaybackOptions) {
    this.matcher = new TapeMatcher(options.tape);
    this.interceptor.apply();
    this.detach = attachHttpPlayback(this.interceptor, this.matcher, options);
  }

  report(): ReplayReport {
    return this.matcher.report();
  }

  dispose(): void {
    this.detach();
    this.interceptor.dispose();
  }
}
