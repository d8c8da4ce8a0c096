import fs from 'node:fs';
import path from 'node:path';

/**
 * One drainer per spool directory, across processes: two drainers would send the same batch
 * twice. The lock file holds the owner's pid; a lock whose owner is gone (crashed, killed) is
 * taken over, so a dead process never blocks the spool for good.
 */
export class SpoolLock {
  private held = false;
  private readonly file: string;

  constructor(dir: string, name = 'drain.lock') {
    this.file = path.join(dir, name);
  }

  get isHeld(): boolean {
    return this.held;
  }

  tryAcquire(): boolean {
    if (this.held) return true;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.file, String(process.pid), { flag: 'wx' });
        this.held = true;
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
        if (!this.ownerIsGone()) return false;
        fs.rmSync(this.file, { force: true });
      }
    }
    return false;
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

  private ownerIsGone(): boolean {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return true;
    }
    if (!Number.isInteger(pid) || pid <= 0) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}
