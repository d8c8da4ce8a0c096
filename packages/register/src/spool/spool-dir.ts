import fs from 'node:fs';
import path from 'node:path';
import { TracetapeError } from '@tracetape/core';

/** The spool reached TRACETAPE_SPOOL_MAX_BYTES: this batch is dropped, not written. */
export class SpoolFullError extends TracetapeError {
  constructor(dir: string, maxBytes: number) {
    super(
      'TRACETAPE_SPOOL_FULL',
      `The spool at ${dir} would grow past ${maxBytes} bytes (TRACETAPE_SPOOL_MAX_BYTES): new spans are dropped until the store or collector is back and the spool drains. Raise TRACETAPE_SPOOL_MAX_BYTES to keep more.`,
    );
  }
}

let sequence = 0;

/**
 * One file per batch, written once (temp file, then rename, so a drainer never reads half a
 * batch) and deleted only after the destination acknowledged it. Names sort by time, then
 * process, then a per-process sequence, so a drain replays batches in the order they were
 * spooled, across processes that shared the directory. Each kind of batch has its own suffix,
 * so the ClickHouse and the OTLP exporter can share a directory without reading each other's files.
 */
export class SpoolDir {
  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    /** e.g. `.batch.json`; the span count is put just before it. */
    private readonly suffix: string,
  ) {}

  // The span count rides in the name, so counting what is spooled (at exit, too) reads no file.
  private nextName(spans: number): string {
    sequence++;
    return `${String(Date.now()).padStart(15, '0')}-${String(process.pid).padStart(10, '0')}-${String(sequence).padStart(10, '0')}-n${spans}${this.suffix}`;
  }

  private checkRoom(data: string | Uint8Array): void {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this.bytes() + size > this.maxBytes) throw new SpoolFullError(this.dir, this.maxBytes);
  }

  /** Synchronous, for the process 'exit' event; throws SpoolFullError or the file system's error. */
  writeSync(data: string | Uint8Array, spans: number): void {
    this.checkRoom(data);
    fs.mkdirSync(this.dir, { recursive: true });
    const name = this.nextName(spans);
    const temp = path.join(this.dir, `.${name}.tmp`);
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, path.join(this.dir, name));
  }

  async write(data: string | Uint8Array, spans: number): Promise<void> {
    this.checkRoom(data);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const name = this.nextName(spans);
    const temp = path.join(this.dir, `.${name}.tmp`);
    await fs.promises.writeFile(temp, data);
    await fs.promises.rename(temp, path.join(this.dir, name));
  }

  /** Batch files, oldest first. */
  list(): string[] {
    try {
      return fs
        .readdirSync(this.dir)
        .filter((name) => name.endsWith(this.suffix))
        .sort();
    } catch {
      return [];
    }
  }

  read(name: string): Buffer {
    return fs.readFileSync(path.join(this.dir, name));
  }

  /** Spans a file holds, from its name. */
  spanCount(name: string): number {
    const counted = name.slice(0, -this.suffix.length);
    return Number(/-n(\d+)$/.exec(counted)?.[1] ?? 0);
  }

  remove(name: string): void {
    fs.rmSync(path.join(this.dir, name), { force: true });
  }

  /** A file that cannot be parsed is set aside, not retried forever nor deleted. */
  quarantine(name: string): void {
    try {
      fs.renameSync(path.join(this.dir, name), path.join(this.dir, `${name}.damaged`));
    } catch {
      // Gone already: another drainer handled it.
    }
  }

  bytes(): number {
    let total = 0;
    for (const name of this.list()) {
      try {
        total += fs.statSync(path.join(this.dir, name)).size;
      } catch {
        // Drained meanwhile.
      }
    }
    return total;
  }
}
