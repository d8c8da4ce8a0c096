import { TracetapeError } from '@tracetape/core';

/** Why a record could not be appended. The spans in it are lost; the app carries on. */
export type LogWriteFailure = 'log-full' | 'disk-full' | 'unwritable';

export class LogWriteError extends TracetapeError {
  readonly failure: LogWriteFailure;
  constructor(failure: LogWriteFailure, message: string, cause?: unknown) {
    super(failure === 'log-full' ? 'TRACETAPE_LOG_FULL' : failure === 'disk-full' ? 'TRACETAPE_LOG_DISK_FULL' : 'TRACETAPE_LOG_UNWRITABLE', message, { cause });
    this.failure = failure;
  }
}

export function logFull(dir: string, maxBytes: number): LogWriteError {
  return new LogWriteError(
    'log-full',
    `the recording log at ${dir} would grow past ${maxBytes} bytes (TRACETAPE_LOG_MAX_BYTES): run \`tracetape ingest\` (or any tracetape command that reads the store) to move it into the store, or raise TRACETAPE_LOG_MAX_BYTES`,
  );
}

export function logWriteFailed(dir: string, error: unknown): LogWriteError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LogWriteError('disk-full', `the disk holding the recording log at ${dir} is full (${detail}): free space there, or point TRACETAPE_DIR at a disk with room`, error);
  }
  return new LogWriteError('unwritable', `could not write the recording log at ${dir} (${detail}): make the directory writable, or point TRACETAPE_DIR elsewhere`, error);
}

/** A segment file that is no log, or the ingest state file damaged: says which file and what to do. */
export class LogReadError extends TracetapeError {
  constructor(message: string, cause?: unknown) {
    super('TRACETAPE_LOG_UNREADABLE', message, { cause });
  }
}
