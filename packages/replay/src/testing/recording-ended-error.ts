import { TracetapeError, type EndingSignal } from '@tracetape/core';

/**
 * The code under replayTape reached a call its recording never had an answer to, because a signal
 * stopped the recorded process while the call waited: the replay is as far as the recording went.
 */
export class RecordingEndedError extends TracetapeError {
  constructor(readonly signal: EndingSignal) {
    super(
      'TRACETAPE_RECORDING_ENDED',
      `the recording ends here: ${signal} stopped the recorded process while this call waited for an answer it never got, so replayTape stopped the code at the same point (the call is left unanswered). ` +
        'Expect this error where the recording ends so, or replay the whole process with `tracetape replay`, which ends it with the same signal.',
    );
  }
}
