import { ConfigError, TapeFormatError } from './errors.js';

/** The setting that raises (or lowers) the largest tape file tracetape reads. */
export const MAX_TAPE_BYTES_ENV = 'TRACETAPE_MAX_TAPE_BYTES';
/**
 * Parsing a tape takes about nine times its size in memory (a 190 MB tape took 1.7 GB), so a
 * tape is refused before it is read past this size. 128 MiB holds runs of thousands of calls.
 */
export const DEFAULT_MAX_TAPE_BYTES = 128 * 1024 * 1024;

/** A tape file over the size limit, refused before a byte of it is read. */
export class TapeTooLargeError extends TapeFormatError {
  constructor(where: string, sizeBytes: number, limitBytes: number) {
    super(
      where,
      `the file is ${describeBytes(sizeBytes)}, over the ${describeBytes(limitBytes)} limit for tape files (reading one takes about nine times its size in memory)`,
      `To read it anyway, raise the limit: ${MAX_TAPE_BYTES_ENV}=${sizeBytes}.`,
      'TRACETAPE_TAPE_TOO_LARGE',
    );
  }
}

/** The tape size limit: TRACETAPE_MAX_TAPE_BYTES, else {@link DEFAULT_MAX_TAPE_BYTES}. */
export function maxTapeBytes(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[MAX_TAPE_BYTES_ENV];
  if (value === undefined || value === '') return DEFAULT_MAX_TAPE_BYTES;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new ConfigError(`${MAX_TAPE_BYTES_ENV} must be a whole number of bytes (at least 1), not "${value}".`);
  }
  return parsed;
}

/**
 * Refuses a tape file by its size (from a stat, before reading it): call before reading, so an
 * oversized file costs neither its memory nor its parse time.
 * @throws TapeTooLargeError when `sizeBytes` is over the limit
 */
export function checkTapeSize(sizeBytes: number, where: string, env: NodeJS.ProcessEnv = process.env): void {
  const limit = maxTapeBytes(env);
  if (sizeBytes > limit) throw new TapeTooLargeError(where, sizeBytes, limit);
}

function describeBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB (${exact})` : exact;
}
