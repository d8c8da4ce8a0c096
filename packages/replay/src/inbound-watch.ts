import fs from 'node:fs';
import { ROOT_PROCESS_PATH } from '@tracetape/core';

/**
 * How long the rest of a replayed server's command may run after the process that served the
 * replayed request ended (itself given a second after answering): a wrapper such as npm ends by
 * itself in that time; a cluster's primary, which would fork a new worker, is stopped.
 */
export const STOP_AFTER_ANSWER_MS = 2000;

export interface InboundWatch {
  /** Resolves with the process path of the first process that reported a replayed inbound exchange. */
  answered: Promise<string>;
  close(): void;
}

/**
 * Watches the replay's report file for the line of the process that replayed a server trace's
 * inbound request. A process writes its line as it exits, so once that line is there the request
 * was answered and its server stopped; what else of the command still runs (a cluster's primary
 * and other workers) took no part in the trace. The file is created empty if it is not there.
 */
export function watchForInboundOutcome(reportFile: string): InboundWatch {
  if (!fs.existsSync(reportFile)) fs.writeFileSync(reportFile, '');
  let resolveAnswered: (process: string) => void = () => undefined;
  const answered = new Promise<string>((resolve) => (resolveAnswered = resolve));
  let read = 0;
  const check = (): void => {
    const bytes = readFrom(reportFile, read);
    // The replay removes its scratch files as it ends, on a failure before the command did too.
    if (bytes === undefined) return void watcher.close();
    // Only whole lines: the last one may still be being written.
    const end = bytes.lastIndexOf(0x0a);
    if (end < 0) return;
    read += end + 1;
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
      const process = inboundProcessOf(line);
      if (process !== undefined) {
        watcher.close();
        resolveAnswered(process);
        return;
      }
    }
  };
  // Not persistent: the watch never keeps tracetape running after the command ended.
  const watcher = fs.watch(reportFile, { persistent: false }, check);
  watcher.on('error', () => watcher.close());
  return { answered, close: () => watcher.close() };
}

/** The file's bytes from `offset` on; undefined once the file is gone. */
function readFrom(file: string, offset: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, offset));
  } finally {
    fs.closeSync(fd);
  }
}

function inboundProcessOf(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { process?: string; report?: { inbound?: unknown } };
    return parsed.report?.inbound ? (parsed.process ?? ROOT_PROCESS_PATH) : undefined;
  } catch {
    return undefined;
  }
}
