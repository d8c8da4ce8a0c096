import fs from 'node:fs';
import path from 'node:path';
import { TAPE_FAILED_SUFFIX } from '@tracetape/core';

/** How often the wait looks again, should the directory watch miss an event; and checks the CLI is alive. */
const POLL_MS = 25;

/**
 * `tracetape replay` started this process before its tape was built (TAPE_PENDING_ENV): waits,
 * while the rest of the hook loads, until the tape file is there. If the CLI could not build it
 * (an unknown trace, a store that is down) or is gone, this process exits before the app runs:
 * the CLI reports why.
 */
export function awaitTapeArrival(tapePath: string, cliPid: number): Promise<void> {
  const failed = tapePath + TAPE_FAILED_SUFFIX;
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const timer = setInterval(look, POLL_MS);
    function finish(): void {
      clearInterval(timer);
      watcher?.close();
    }
    function look(): void {
      if (fs.existsSync(tapePath)) {
        finish();
        resolve();
      } else if (fs.existsSync(failed)) {
        finish();
        // Nothing of the app has run: the hook is still loading. The CLI says what went wrong.
        process.exit(1);
      } else if (!isAlive(cliPid)) {
        finish();
        process.stderr.write(`tracetape: the \`tracetape replay\` that started this process (pid ${cliPid}) ended before its tape was written; nothing of the app ran. Run the replay again.\n`);
        process.exit(1);
      }
    }
    try {
      watcher = fs.watch(path.dirname(tapePath), look);
    } catch {
      // No watch on this file system: the poll alone finds the tape.
    }
    look();
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
