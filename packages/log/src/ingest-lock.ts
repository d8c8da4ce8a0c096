import fs from 'node:fs';
import path from 'node:path';
import { withSpaceReserve } from './log-dir.js';

export const INGEST_LOCK_FILE = 'ingest.lock';

/**
 * A lock across processes that a crash cannot leave behind: the lock file holds the owner's pid,
 * and a lock whose owner is gone (crashed, killed) is taken over.
 */
export class PidLock {
  private held = false;

  constructor(readonly file: string) {}

  tryAcquire(): boolean {
    if (this.held) return true;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.file, String(process.pid), { flag: 'wx' });
        this.held = true;
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (this.owner() !== undefined) return false;
        fs.rmSync(this.file, { force: true });
      }
    }
    return false;
  }

  /** The pid of a live owner, if any. */
  owner(): number | undefined {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (pid === process.pid) return this.held ? pid : undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      if (fs.readFileSync(this.file, 'utf8') === String(process.pid)) fs.rmSync(this.file, { force: true });
    } catch {
      // Already removed.
    }
  }
}

/** One ingester per log directory: two would read the same records and store them twice. */
export class IngestLock extends PidLock {
  constructor(private readonly dir: string) {
    super(path.join(dir, INGEST_LOCK_FILE));
  }

  /** On a disk the writers filled, the lock is taken with the room they left for it. */
  override tryAcquire(): boolean {
    return withSpaceReserve(this.dir, () => super.tryAcquire());
  }
}
