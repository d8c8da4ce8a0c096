import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A private scratch directory for the files the CLI and its child exchange; removed by `dispose`. */
export function makeScratchDir(): { dir: string; file(name: string): string; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-'));
  return {
    dir,
    file: (name) => path.join(dir, name),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
