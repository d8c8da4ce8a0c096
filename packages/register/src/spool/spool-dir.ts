import fs from 'node:fs';
import path from 'node:path';
import { TracetapeError } from '@tracetape/core';
import type { PayloadRow, SpanRow } from '@tracetape/clickhouse';

/** One batch as the store would have received it: the spool holds rows, ready to insert again. */
export interface SpooledBatch {
  spans: SpanRow[];
  payloads: PayloadRow[];
}

/** The spool reached TRACETAPE_SPOOL_MAX_BYTES: this batch is dropped, not written. */
export class SpoolFullError extends TracetapeError {
  constructor(dir: string, maxBytes: number) {
    super('TRACETAPE_SPOOL_FULL', `The spool at ${dir} holds ${maxBytes} bytes or more (TRACETAPE_SPOOL_MAX_BYTES); new spans are dropped until the store is back.`);
  }
}

let sequence = 0;

/**
 * One file per batch, written once (temp file, then rename, so a drainer never reads half a
 * batch) and deleted only after the store acknowledged it. Names sort by time, then process,
 * then a per-process sequence, so a drain replays batches in the order they were spooled, across
 * processes that shared the directory.
 */
export class SpoolDir {
  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  // The span count rides in the name, so counting what is spooled (at exit, too) reads no file.
  private nextName(spans: number): string {
    sequence++;
    return `${String(Date.now()).padStart(15, '0')}-${String(process.pid).padStart(10, '0')}-${String(sequence).padStart(10, '0')}-n${spans}.batch.json`;
  }

  private encode(batch: SpooledBatch): string {
    const text = JSON.stringify(batch);
    if (this.bytes() + Buffer.byteLength(text) > this.maxBytes) throw new SpoolFullError(this.dir, this.maxBytes);
    return text;
  }

  /** Synchronous, for the process 'exit' event; throws SpoolFullError or the file system's error. */
  writeSync(batch: SpooledBatch): void {
    const text = this.encode(batch);
    fs.mkdirSync(this.dir, { recursive: true });
    const name = this.nextName(batch.spans.length);
    const temp = path.join(this.dir, `.${name}.tmp`);
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, path.join(this.dir, name));
  }

  async write(batch: SpooledBatch): Promise<void> {
    const text = this.encode(batch);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const name = this.nextName(batch.spans.length);
    const temp = path.join(this.dir, `.${name}.tmp`);
    await fs.promises.writeFile(temp, text);
    await fs.promises.rename(temp, path.join(this.dir, name));
  }

  /** Batch files, oldest first. */
  list(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((name) => name.endsWith('.batch.json')).sort();
    } catch {
      return [];
    }
  }

  read(name: string): SpooledBatch {
    return JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as SpooledBatch;
  }

  /** Spans a file holds, from its name. */
  spanCount(name: string): number {
    return Number(/-n(\d+)\.batch\.json$/.exec(name)?.[1] ?? 0);
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
