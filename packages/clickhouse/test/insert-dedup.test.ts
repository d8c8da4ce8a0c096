import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from '../../../test/support/clickhouse-http-server.js';
import { ChdbSpanStore, offloadPayloads, ServerSpanStore, toSpanRow, upgradeStatements, type SpanStore } from '../src/index.js';
import { recordInMemory, tempDir } from './spans.js';

// A retried insert that had in fact landed (its answer lost to a timeout, or a spooled batch sent
// again by a later process) must not store the spans twice.
const embeddedDir = tempDir('dedup-embedded');
const serverDir = tempDir('dedup-server');
let harness: ClickHouseHttpHarness;
const stores: Record<string, SpanStore> = {};

beforeAll(async () => {
  harness = await startClickHouseHttpHarness(serverDir.dir);
  stores.embedded = new ChdbSpanStore({ dir: embeddedDir.dir });
  stores.server = new ServerSpanStore({ url: harness.url });
  for (const store of Object.values(stores)) await store.init();
}, 30_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  await harness?.close();
  embeddedDir.remove();
  serverDir.remove();
});

async function spanCount(store: SpanStore, traceId: string): Promise<number> {
  return Number(await store.query(`SELECT count() FROM otel_traces WHERE TraceId = '${traceId}'`, 'TabSeparated'));
}

describe.each(['embedded', 'server'])('inserting the same batch again (%s store)', (kind) => {
  it('stores its spans once, while a different batch still lands', async () => {
    const store = stores[kind]!;
    const rows = (await recordInMemory(`${kind} run`)).map(toSpanRow);
    const payloads = rows.flatMap((row) => offloadPayloads(row));
    const traceId = rows[0]!.TraceId;
    await store.insert(rows, payloads);
    await store.insert(structuredClone(rows), structuredClone(payloads));
    store.insertSync(structuredClone(rows), structuredClone(payloads));
    expect(await spanCount(store, traceId)).toBe(rows.length);

    const other = (await recordInMemory(`${kind} other run`)).map(toSpanRow);
    await store.insert(other, []);
    expect(await spanCount(store, other[0]!.TraceId)).toBe(other.length);
  }, 30_000);
});

describe('tables made before the deduplication window (an older tracetape, the Collector)', () => {
  it('store a resent insert twice until upgradeStatements() give them the window', async () => {
    const store = stores.embedded as ChdbSpanStore;
    const older = new ChdbSpanStore({ dir: embeddedDir.dir, database: 'older_layout' });
    await older.init();
    for (const table of ['otel_traces', 'tracetape_payloads']) {
      await older.query(`ALTER TABLE older_layout.${table} MODIFY SETTING non_replicated_deduplication_window = 0`, 'TabSeparated');
    }
    const count = async (traceId: string) =>
      Number(await store.query(`SELECT count() FROM older_layout.otel_traces WHERE TraceId = '${traceId}'`, 'TabSeparated'));

    const before = (await recordInMemory('before the upgrade')).map(toSpanRow);
    await older.insert(before, []);
    await older.insert(structuredClone(before), []);
    expect(await count(before[0]!.TraceId)).toBe(2 * before.length);

    for (const statement of upgradeStatements({ database: 'older_layout' })) await older.query(statement, 'TabSeparated');
    const after = (await recordInMemory('after the upgrade')).map(toSpanRow);
    await older.insert(after, []);
    await older.insert(structuredClone(after), []);
    expect(await count(after[0]!.TraceId)).toBe(after.length);
  }, 30_000);
});
