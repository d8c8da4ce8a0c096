import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChdbSpanStore } from '../src/index.js';
import { INSERT_FILES_DIR } from '../src/insert-files.js';
import { tempDir } from './spans.js';

// The embedded engine runs inserts on its own threads, which end with the process. An app that
// exits while its last spans are being stored must still find them there afterwards.
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/exit-mid-insert.mjs', import.meta.url));

describe.each(['tracetape_payloads', 'otel_traces'])('a process that exits while the engine inserts into %s', (table) => {
  it.skipIf(!existsSync(dist))('leaves every span and payload of that insert, and of the batch queued behind it, in the store', async () => {
    const dir = tempDir(`exit-mid-insert-${table}`);
    try {
      const child = spawnSync(process.execPath, [fixture, dist, dir.dir, table], { encoding: 'utf8', timeout: 60_000 });
      expect(child.status, child.stderr).toBe(0);
      expect(child.stderr).toBe('');

      const store = new ChdbSpanStore({ dir: dir.dir });
      try {
        const count = async (sql: string): Promise<number> => Number(await store.query(sql, 'TabSeparated'));
        expect(await count("SELECT count() FROM otel_traces WHERE startsWith(SpanName, 'first ')")).toBe(600);
        expect(await count("SELECT count() FROM otel_traces WHERE startsWith(SpanName, 'queued ')")).toBe(50);
        // Each span's response went to the payload table, and each is there once (the repeat of the running insert was dropped as a copy).
        expect(await count('SELECT count() FROM tracetape_payloads')).toBe(650);
        expect(await count('SELECT uniqExact(Hash) FROM tracetape_payloads')).toBe(650);
        expect(await count('SELECT count() FROM (SELECT SpanId FROM otel_traces GROUP BY SpanId HAVING count() > 1)')).toBe(0);
      } finally {
        await store.close();
      }
      expect(readdirSync(join(dir.dir, INSERT_FILES_DIR))).toEqual([]);
    } finally {
      dir.remove();
    }
  }, 90_000);
});
