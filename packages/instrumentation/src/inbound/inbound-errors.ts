import { TracetapeError } from '@tracetape/core';

/** The recorded inbound request of a server trace could not be sent to the replayed app, or not answered. */
export class InboundReplayError extends TracetapeError {
  constructor(
    code: 'TRACETAPE_INBOUND_NO_SERVER' | 'TRACETAPE_INBOUND_NO_ANSWER' | 'TRACETAPE_INBOUND_TRUNCATED' | 'TRACETAPE_INBOUND_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function neverListened(): InboundReplayError {
  return new InboundReplayError(
    'TRACETAPE_INBOUND_NO_SERVER',
    'the app never started an HTTP server (no http.Server called listen()), so the recorded request was not sent. Replay the command that starts the server.',
  );
}

export function endedBeforeAnswer(): InboundReplayError {
  return new InboundReplayError(
    'TRACETAPE_INBOUND_NO_ANSWER',
    'the process ended before the server answered the replayed request. Does the app exit or crash while handling it?',
  );
}

export function noAnswerWithin(ms: number): InboundReplayError {
  return new InboundReplayError(
    'TRACETAPE_INBOUND_NO_ANSWER',
    `the server did not answer the replayed request within ${Math.round(ms / 1000)} s. Is the handler waiting for something the tape does not hold?`,
  );
}

export function truncatedRequest(): InboundReplayError {
  return new InboundReplayError(
    'TRACETAPE_INBOUND_TRUNCATED',
    'the recorded request body was cut off at the capture size limit, so it cannot be sent again faithfully. Raise TRACETAPE_MAX_BODY_BYTES and record the run again.',
  );
}
