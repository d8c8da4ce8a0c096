import { TracetapeError } from '@tracetape/core';

/** A second playback was started while one is active in this process. */
export class PlaybackAlreadyActiveError extends TracetapeError {
  constructor() {
    super(
      'TRACETAPE_PLAYBACK_ACTIVE',
      'A tracetape playback is already active in this process, and only one can be: its interceptors are process-wide, ' +
        'so two would answer each other\'s calls. Dispose the first session before starting another; with replayTape, ' +
        'await each call instead of nesting them or running them concurrently (test.concurrent), and do not use it ' +
        'in a process started by `tracetape replay` or with TRACETAPE_MODE=playback.',
    );
  }
}

// On globalThis, not in module scope: a test runner may load this module twice (inlined and
// external), and the interceptors the slot protects are shared by both copies.
const SLOT = Symbol.for('tracetape.playback.active');
type Slot = { [SLOT]?: boolean };

/** Claims the process-wide playback slot; the returned function gives it back (once). */
export function acquirePlaybackLock(): () => void {
  const slot = globalThis as Slot;
  if (slot[SLOT]) throw new PlaybackAlreadyActiveError();
  slot[SLOT] = true;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    slot[SLOT] = false;
  };
}
