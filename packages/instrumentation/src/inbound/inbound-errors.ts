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

/** What a failed listen() emits: a system error naming the address and port. */
export type ListenError = NodeJS.ErrnoException & { address?: string; port?: number };

export function couldNotListen(error: ListenError): InboundReplayError {
  const where = error.address === undefined ? '' : ` on ${error.address}${error.port === undefined ? '' : `:${error.port}`}`;
  const hint =
    error.code === 'EADDRINUSE'
      ? ' Another process holds that port: the recorded service, still running, or another instance of it. Stop it for the replay, or give the replayed server another port if the app reads one from its environment (the request reaches it whatever its port).'
      : '';
  return new InboundReplayError(
    'TRACETAPE_INBOUND_NO_SERVER',
    `the app's HTTP server could not listen${where} (${error.code ?? error.message}), so the recorded request was not sent.${hint}`,
    { cause: error },
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
