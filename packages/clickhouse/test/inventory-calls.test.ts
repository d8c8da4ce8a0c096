import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_TRACETAPE_CREDENTIALS,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REPLAY_STEP,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_REQUEST_METHOD,
  ATTR_TRACETAPE_REQUEST_TARGET,
  ATTR_TRACETAPE_RUN_TYPE,
  ATTR_TRACETAPE_SIDE_EFFECT,
  PAYLOAD_REF_PREFIX,
  type InventoryCall,
} from '@tracetape/core';
import { startClickHouseHttpHarness, type ClickHouseHttpHarness } from '../../../test/support/clickhouse-http-server.js';
import { ChdbSpanStore, ServerSpanStore, type SpanRow, type SpanStore } from '../src/index.js';
import { spanRow, tempDir } from './spans.js';

// inventoryCalls() is one SQL query over the span table: the same rows through both stores.
const embeddedDir = tempDir('inventory-embedded');
const serverDir = tempDir('inventory-server');
let harness: ClickHouseHttpHarness;
const stores: Record<string, SpanStore> = {};

const TRACE = 'a'.repeat(32);
let spanNumber = 0;
const call = (timestamp: string, attributes: Record<string, string>, fields: Partial<SpanRow> = {}): SpanRow =>
  spanRow({ Timestamp: `2026-03-01 ${timestamp}`, TraceId: TRACE, SpanId: (++spanNumber).toString(16).padStart(16, '0'), SpanAttributes: attributes, ...fields });

const hash = { [ATTR_TRACETAPE_INPUT_HASH]: 'f'.repeat(64) };
const ROWS: SpanRow[] = [
  call('10:00:00.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'http', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_REQUEST_TARGET]: 'http://shop:80/orders/1', [ATTR_TRACETAPE_CREDENTIALS]: '["header:authorization"]' }),
  call('10:00:01.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'http', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_REQUEST_TARGET]: 'http://shop:80/orders/1', [ATTR_TRACETAPE_CREDENTIALS]: '["query:api_key"]' }, { StatusCode: 'Error' }),
  // Recorded before the summary attributes: the inline request says what it was and which headers were redacted.
  call('10:00:02.000000000', {
    ...hash,
    [ATTR_TRACETAPE_KIND]: 'http',
    [ATTR_TRACETAPE_REQUEST]: JSON.stringify({ normalized: { method: 'POST', url: 'http://shop:80/refunds/1' }, headers: [['Authorization', 'Bearer [REDACTED]'], ['accept', '*/*']] }),
  }),
  // Older still, with its payload in the payload table and no kind: the HTTP conventions.
  call('10:00:03.000000000', { ...hash, [ATTR_TRACETAPE_REQUEST]: `${PAYLOAD_REF_PREFIX}${'e'.repeat(64)}`, 'http.request.method': 'DELETE', 'url.full': 'http://shop/orders/7' }),
  call('10:00:04.000000000', {
    ...hash,
    [ATTR_TRACETAPE_KIND]: 'postgres',
    [ATTR_TRACETAPE_REQUEST_METHOD]: 'INSERT',
    [ATTR_TRACETAPE_REQUEST_TARGET]: 'postgres://db:5432/orders',
    [ATTR_TRACETAPE_SIDE_EFFECT]: 'true',
    'db.system.name': 'postgresql',
    'db.namespace': 'orders',
    'db.query.text': 'INSERT INTO refunds VALUES ($1)',
  }),
  call('10:00:05.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'redis', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_SIDE_EFFECT]: 'false', 'db.query.text': 'get session:ada' }),
  call('10:00:06.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'process', [ATTR_TRACETAPE_REQUEST_METHOD]: 'execFile', 'process.executable.name': 'git', 'process.command_args': '["git","push","origin"]' }),
  // Not calls that reached anything: a step a replay's tape answered, a stored replay, a client span without a recording.
  call('10:00:07.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'http', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_REPLAY_STEP]: '1' }),
  call('10:00:08.000000000', { [ATTR_TRACETAPE_RUN_TYPE]: 'replay' }, { SpanName: 'tracetape replay', SpanKind: 'Internal' }),
  call('10:00:09.000000000', { 'db.system.name': 'postgresql' }, { SpanName: 'pg.connect' }),
  // Outside the period, and another service.
  call('12:00:00.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'http', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_REQUEST_TARGET]: 'http://late/' }),
  call('10:30:00.000000000', { ...hash, [ATTR_TRACETAPE_KIND]: 'http', [ATTR_TRACETAPE_REQUEST_METHOD]: 'GET', [ATTR_TRACETAPE_REQUEST_TARGET]: 'http://other/' }, { ServiceName: 'billing' }),
];

beforeAll(async () => {
  harness = await startClickHouseHttpHarness(serverDir.dir);
  stores.embedded = new ChdbSpanStore({ dir: embeddedDir.dir });
  stores.server = new ServerSpanStore({ url: harness.url });
  for (const store of Object.values(stores)) {
    await store.init();
    await store.insert(ROWS, []);
  }
}, 30_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  await harness?.close();
  embeddedDir.remove();
  serverDir.remove();
});

const period = { since: new Date('2026-03-01T10:00:00Z'), until: new Date('2026-03-01T11:00:00Z') };
const brief = (calls: InventoryCall[]) =>
  calls
    .map((c) => ({ service: c.service, kind: c.kind, method: c.method, target: c.target, calls: c.calls, errors: c.errors, credentials: c.credentials, statement: c.statement, executable: c.executable, firstArgument: c.firstArgument }))
    .sort((a, b) => (`${a.service} ${a.kind} ${a.method}` < `${b.service} ${b.kind} ${b.method}` ? -1 : 1));

describe.each(['embedded', 'server'])('inventoryCalls (%s store)', (name) => {
  it('groups the boundary calls of the period, reading older spans from their payload or the HTTP conventions', async () => {
    const calls = await stores[name]!.inventoryCalls({ ...period, service: 'svc' });
    const base = { service: 'svc', errors: 0, credentials: [], statement: '', executable: '', firstArgument: '' };
    expect(brief(calls)).toEqual([
      { ...base, kind: 'http', method: 'DELETE', target: 'http://shop/orders/7', calls: 1 },
      { ...base, kind: 'http', method: 'GET', target: 'http://shop:80/orders/1', calls: 2, errors: 1, credentials: ['header:authorization', 'query:api_key'] },
      { ...base, kind: 'http', method: 'POST', target: 'http://shop:80/refunds/1', calls: 1, credentials: ['header:authorization'] },
      { ...base, kind: 'postgres', method: 'INSERT', target: 'postgres://db:5432/orders', calls: 1, statement: 'INSERT INTO refunds VALUES ($1)' },
      { ...base, kind: 'process', method: 'execFile', target: '', calls: 1, executable: 'git', firstArgument: 'push' },
      // A Redis span's text names its keys: it is not kept.
      { ...base, kind: 'redis', method: 'GET', target: '', calls: 1 },
    ]);
    const get = calls.find((c) => c.method === 'GET' && c.kind === 'http')!;
    expect([get.firstSeen, get.lastSeen]).toEqual(['2026-03-01 10:00:00.000000000', '2026-03-01 10:00:01.000000000']);
  });

  it('takes every service when none is named, and nothing outside the period', async () => {
    const calls = await stores[name]!.inventoryCalls(period);
    expect(calls.map((c) => c.target)).toContain('http://other/');
    expect(calls.map((c) => c.target)).not.toContain('http://late/');
    expect(await stores[name]!.inventoryCalls({ since: new Date('2027-01-01T00:00:00Z') })).toEqual([]);
  });
});
