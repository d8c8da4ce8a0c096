import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writevSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { insertFileUnwritable } from './errors.js';

/** The embedded store's folder for RowBinary inserts in flight, inside its data directory. */
export const INSERT_FILES_DIR = 'tracetape-inserts';

/**
 * Files holding the RowBinary bytes of one INSERT each, for the engine's `file()` table function to
 * read. chDB's Node API carries only text formats inline, and binary bytes cannot travel in SQL
 * text; a file in the store's own directory can. Each file lives for one insert.
 */
export class InsertFiles {
  readonly dir: string;
  private next = 0;
  private created = false;
  /** Written and not yet removed: an insert that was reading one when the process began to exit leaves it here. */
  private readonly live = new Set<string>();

  /** `location` names the store in errors. */
  constructor(
    storeDir: string,
    private readonly location: string,
  ) {
    this.dir = join(storeDir, INSERT_FILES_DIR);
  }

  private path(): string {
    if (!this.created) {
      // Left by a process that died mid-insert: the engine holds one directory per process, so
      // nothing else can be reading them.
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(this.dir, { recursive: true });
      this.created = true;
    }
    const path = join(this.dir, `${process.pid}-${this.next++}.rowbinary`);
    this.live.add(path);
    return path;
  }

  /** Throws a StoreUnavailableError naming the directory when it cannot be written (a full disk, permissions). */
  async write(bytes: readonly Uint8Array[]): Promise<string> {
    try {
      const path = this.path();
      // Gathered writes: the blocks go to the file as they are, never copied into one buffer first.
      const file = await open(path, 'w');
      try {
        await file.writev(bytes);
      } finally {
        await file.close();
      }
      return path;
    } catch (error) {
      throw insertFileUnwritable(this.location, this.dir, error);
    }
  }

  writeSync(bytes: readonly Uint8Array[]): string {
    try {
      const path = this.path();
      const fd = openSync(path, 'w');
      try {
        writevSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
      return path;
    } catch (error) {
      throw insertFileUnwritable(this.location, this.dir, error);
    }
  }

  async remove(path: string): Promise<void> {
    this.live.delete(path);
    await unlink(path).catch(() => {});
  }

  removeSync(path: string): void {
    this.live.delete(path);
    try {
      unlinkSync(path);
    } catch {
      // Already gone; the next store opened on this directory clears the folder anyway.
    }
  }

  /** At exit, once nothing reads them any more. */
  removeAllSync(): void {
    for (const path of [...this.live]) this.removeSync(path);
  }
}
