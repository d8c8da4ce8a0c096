import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InventoryResponse } from '@tracetape/ui';
import type { InventoryReport } from '../packages/replay/src/inventory-report.js';
import { collectPageErrors, launchBrowser, type TestBrowser } from './support/browser.js';
import { FIXTURES, recordedTraceId, tempDir, tracetape, type CliResult } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from './support/databases.js';
import { chatCompletionAnswer } from './support/openai-compatible.js';
import { startUi, type UiProcess } from './support/ui-process.js';

/*
 * `tracetape inventory` over real recordings: inventory-app.mjs reaches a shop over HTTP (one
 * order read fails), PostgreSQL, Redis, `sh`, a stdio MCP server and an OpenAI-compatible model,
 * each a real server on loopback. It is recorded twice through the CLI; the second run also reaches
 * a host the first did not (`localhost`, where the rest is `127.0.0.1`), which --compare reports.
 */

const APP = path.join(FIXTURES, 'inventory-app.mjs');
const SHOP_TOKEN = 'shop-token-5f1c9a7e2b';
const OPENAI_KEY = 'sk-inventory-0a9b8c7d6e5f4a3b2c1d';
const store = tempDir('tracetape-inventory-');
const env: Record<string, string> = { TRACETAPE_DIR: path.join(store.dir, 'store') };
let shop: CountingServer;
let llm: CountingServer;
let extra: CountingServer;
let postgres: PostgresServer;
let redis: RedisServer;
let secrets: string[] = [];
/** Before the first run, between the two, after the second. */
let beforeRuns: string;
let betweenRuns: string;
let afterRuns: string;
let firstTrace: string;

async function record(extraEnv: Record<string, string> = {}): Promise<string> {
  const recorded = await tracetape(['record', '--', 'node', APP], { ...env, ...extraEnv });
  expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
  return recordedTraceId(recorded.stderr);
}

/** An instant strictly between what came before and what comes after. */
async function mark(): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const at = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return at;
}

async function inventory(args: string[]): Promise<CliResult> {
  const result = await tracetape(['inventory', ...args], env);
  for (const secret of secrets) expect(result.stdout + result.stderr).not.toContain(secret);
  return result;
}

async function inventoryJson(args: string[]): Promise<InventoryReport> {
  const result = await inventory([...args, '--format', 'json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as InventoryReport;
}

beforeAll(async () => {
  shop = await startCountingServer(({ url }) => (url.endsWith('/999') ? { status: 503, body: '{"error":"unavailable"}' } : { body: '{"id":42}' }));
  llm = await startCountingServer(({ body }, n) => chatCompletionAnswer(body, n));
  extra = await startCountingServer(() => ({ body: '{"ok":true}' }));
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const database = await postgres.createDatabase('orders');
  const client = new pg.Client(database.config);
  await client.connect();
  await client.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))');
  await client.query('CREATE TABLE refunds (order_id int, amount numeric(10,2))');
  await client.query('INSERT INTO orders VALUES (42, 19.99)');
  await client.end();
  const session = await redis.createDatabase('inventory');
  secrets = [SHOP_TOKEN, OPENAI_KEY, postgres.password, redis.password];
  Object.assign(env, {
    SHOP_URL: shop.url,
    SHOP_TOKEN,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: OPENAI_KEY,
    DATABASE_URL: database.url,
    REDIS_URL: session.url,
    NOTES_FILE: path.join(store.dir, 'notes.txt'),
    STARTS_FILE: path.join(store.dir, 'starts.txt'),
  });

  beforeRuns = await mark();
  firstTrace = await record();
  betweenRuns = await mark();
  // The extra host by name: a port of its own would not make it another system.
  await record({ EXTRA_URL: extra.url.replace('127.0.0.1', 'localhost') });
  afterRuns = await mark();
}, 180_000);

afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop(), shop?.close(), llm?.close(), extra?.close()]);
  store.remove();
});

describe('tracetape inventory', () => {
  it('lists every system of every door the runs touched, with counts, errors, what mutates and credential names', async () => {
    const report = await inventoryJson(['--since', beforeRuns, '--until', afterRuns]);
    expect(report.period).toEqual({ since: beforeRuns, until: afterRuns });
    const rows = report.entries.map((e) => [e.door, e.system, e.operation, e.mutates, e.calls, e.errors]);
    expect(rows).toEqual([
      ['http', '127.0.0.1', 'GET /orders/{id}', false, 4, 2],
      ['http', '127.0.0.1', 'POST /refunds/{id}', true, 2, 0],
      ['http', 'localhost', 'GET /status', false, 1, 0],
      ['llm', 'openai 127.0.0.1', 'gpt-test', false, 2, 0],
      ['postgres', 'postgresql 127.0.0.1/orders', 'INSERT refunds', true, 2, 0],
      ['postgres', 'postgresql 127.0.0.1/orders', 'SELECT orders', false, 2, 0],
      ['redis', 'redis 127.0.0.1/1', 'hash', true, 2, 0],
      ['redis', 'redis 127.0.0.1/1', 'string', false, 2, 0],
      ['process', 'sh', 'sh', true, 2, 0],
      ['mcp', 'node mcp-server.mjs', 'initialize', false, 2, 0],
      ['mcp', 'node mcp-server.mjs', 'tools/call append_note', true, 2, 0],
    ]);
    expect(new Set(report.entries.map((e) => e.service))).toEqual(new Set(['inventory-app']));

    const entry = (operation: string) => report.entries.find((e) => e.operation === operation)!;
    expect(entry('GET /orders/{id}').errorRate).toBe(0.5);
    expect(entry('GET /orders/{id}').credentials).toEqual(['header:authorization']);
    expect(entry('POST /refunds/{id}').credentials).toEqual(['header:authorization']);
    expect(entry('gpt-test').credentials).toEqual(['header:authorization']);
    expect(entry('INSERT refunds').credentials).toEqual([`user:${postgres.user}`]);
    expect(entry('GET /status').credentials).toEqual([]);
    const first = entry('GET /orders/{id}');
    expect(first.firstSeen >= beforeRuns && first.firstSeen < betweenRuns).toBe(true);
    expect(first.lastSeen > betweenRuns && first.lastSeen < afterRuns).toBe(true);
    expect(entry('GET /status').firstSeen > betweenRuns).toBe(true);
  });

  it('lists one service with --service, and marks mutating entries in the terminal table', async () => {
    expect((await inventoryJson(['--since', beforeRuns, '--service', 'someone-else'])).entries).toEqual([]);
    expect((await inventoryJson(['--since', beforeRuns, '--service', 'inventory-app'])).entries).toHaveLength(11);

    const table = await inventory(['--since', beforeRuns, '--until', afterRuns]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines.find((l) => l.includes('POST /refunds/{id}'))).toMatch(/MUTATES\s+header:authorization$/);
    expect(lines.find((l) => l.includes('GET /orders/{id}'))).toMatch(/\b4\s+2 \(50%\).*\s-\s+header:authorization$/);
    // Columns line up: every row's "calls" column starts where its title does.
    const header = lines.find((l) => l.startsWith('service'))!;
    const callsAt = header.indexOf('calls');
    for (const row of lines.filter((l) => l.startsWith('inventory-app'))) expect(row.slice(callsAt)).toMatch(/^\d/);
  });

  it('reports with --compare the host only the second period reached, and none of the others; --fail-on-new exits 1', async () => {
    const report = await inventoryJson(['--since', betweenRuns, '--until', afterRuns, '--compare', '1h']);
    expect(report.compare!.previous.until).toBe(betweenRuns);
    expect(report.compare!.newSystems.map((s) => [s.door, s.system, s.calls])).toEqual([['http', 'localhost', 1]]);
    expect(report.compare!.newMutatingOperations).toEqual([]);

    const table = await inventory(['--since', betweenRuns, '--until', afterRuns, '--compare', '1h']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[1]).toMatch(/NEW SYSTEM\s+inventory-app\s+http\s+localhost\s+\(1 call, first /);

    const alerting = await inventory(['--since', betweenRuns, '--until', afterRuns, '--compare', '1h', '--fail-on-new']);
    expect(alerting.code, alerting.stderr).toBe(1);
    // The first run against nothing before it: everything is new, its writes included.
    const fromScratch = await inventoryJson(['--since', beforeRuns, '--until', betweenRuns, '--compare', '1h']);
    expect(fromScratch.compare!.newMutatingOperations.map((e) => e.operation)).toEqual(['POST /refunds/{id}', 'INSERT refunds', 'hash', 'sh', 'tools/call append_note']);
    // The second period against the both runs' union: nothing new.
    const quiet = await inventory(['--since', afterRuns, '--compare', '1h', '--fail-on-new', '--format', 'markdown']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toContain('Nothing new: no system and no mutating operation that the previous period did not see.');
  });

  it('writes markdown that is the same on every run over the same period, with a section per service and a table per door', async () => {
    const args = ['--since', betweenRuns, '--until', afterRuns, '--compare', '1h', '--format', 'markdown'];
    const first = await inventory(args);
    const second = await inventory(args);
    expect(first.code, first.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout.split('\n').filter((l) => l.startsWith('#'))).toEqual([
      '# External systems inventory',
      '## New since the previous period',
      '### New systems',
      '## Service `inventory-app`',
      '### HTTP',
      '### LLM',
      '### PostgreSQL',
      '### Redis',
      '### Programs',
      '### MCP servers',
    ]);
    expect(first.stdout).toContain('| `127.0.0.1` | `POST /refunds/{id}` | 1 | 0 |');
    expect(first.stdout).toMatch(/\| `127\.0\.0\.1` \| `GET \/orders\/\{id\}` \| 2 \| 1 \(50%\) \| [^|]+ \| [^|]+ \| no \| `header:authorization` \|/);
    expect(first.stdout).toMatch(/\| `INSERT refunds` \| 1 \| 0 \| [^|]+ \| [^|]+ \| \*\*yes\*\* \| `user:tracetape` \|/);
  });

  it('counts no call a replay answered from the tape', async () => {
    const before = await inventoryJson(['--since', beforeRuns]);
    const replayed = await tracetape(['replay', firstTrace, '--', 'node', APP], env);
    expect(replayed.code, replayed.stdout + replayed.stderr).toBe(0);
    const after = await inventoryJson(['--since', beforeRuns]);
    expect(after.entries.map((e) => [e.operation, e.calls])).toEqual(before.entries.map((e) => [e.operation, e.calls]));
  });

  it('says when the period holds no call, and refuses bad options with a clear error', async () => {
    const empty = await inventory(['--since', '2020-01-01', '--until', '2020-01-02']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(
      'No recorded calls between 2020-01-01 00:00:00 and 2020-01-02 00:00:00 (UTC). Widen the period with --since, or record a run with `tracetape record -- node app.js`.\n',
    );
    const refusals: Array<[string[], RegExp]> = [
      [['--format', 'xml'], /--format must be table, json, markdown, not "xml"/],
      [['--since', 'last week'], /--since takes a time back from now/],
      [['--until', 'soon'], /--until takes a time back from now/],
      [['--since', '2026-06-02', '--until', '2026-06-01'], /--until \(2026-06-01T00:00:00.000Z\) must come after --since \(2026-06-02T00:00:00.000Z\)/],
      [['--compare', '0d'], /--compare takes a length of time \(1h, 7d, 1w\)/],
      [['--compare', '2026-06-01'], /--compare takes a length of time/],
      [['--fail-on-new'], /--fail-on-new needs --compare/],
    ];
    for (const [args, message] of refusals) {
      const refused = await inventory(args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
  });
});

describe('the inventory page of tracetape ui, in Chromium', () => {
  let ui: UiProcess;
  let browser: TestBrowser;
  beforeAll(async () => {
    ui = await startUi(env);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });

  /** The page waits on the store (opened, the recording log moved in) on its first answer. */
  const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });
  async function open(pathname: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${ui.origin}${pathname}`);
    return { page, errors };
  }
  const row = (page: Page, operation: string) => page.locator(`[data-testid="inventory-row"][data-operation="${operation}"]`);

  it('lists the entries per door, mutating ones marked, credentials by name and never a secret', async () => {
    const { page, errors } = await open('/');
    await page.getByTestId('nav-inventory').click();
    await poll(() => page.getByTestId('inventory-row').count()).toBeGreaterThan(0);
    expect(new URL(page.url()).pathname).toBe('/inventory');

    await page.getByTestId('inventory-since').fill(beforeRuns);
    await page.getByTestId('inventory-until').fill(afterRuns);
    await poll(() => page.getByTestId('inventory').getAttribute('data-until')).toBe(afterRuns);
    expect(new URL(page.url()).searchParams.get('since')).toBe(beforeRuns);
    expect(await page.getByTestId('inventory-service').getAttribute('data-service')).toBe('inventory-app');
    expect(await page.getByTestId('inventory-door').evaluateAll((doors) => doors.map((d) => d.getAttribute('data-door')))).toEqual(['http', 'llm', 'postgres', 'redis', 'process', 'mcp']);
    const operations = await page.getByTestId('inventory-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-door'), r.getAttribute('data-operation'), r.getAttribute('data-mutates')]));
    expect(operations).toEqual([
      ['http', 'GET /orders/{id}', 'false'],
      ['http', 'POST /refunds/{id}', 'true'],
      ['http', 'GET /status', 'false'],
      ['llm', 'gpt-test', 'false'],
      ['postgres', 'INSERT refunds', 'true'],
      ['postgres', 'SELECT orders', 'false'],
      ['redis', 'hash', 'true'],
      ['redis', 'string', 'false'],
      ['process', 'sh', 'true'],
      ['mcp', 'initialize', 'false'],
      ['mcp', 'tools/call append_note', 'true'],
    ]);

    expect(await row(page, 'POST /refunds/{id}').getByTestId('mutates-badge').textContent()).toContain('mutates');
    expect(await row(page, 'GET /orders/{id}').getByTestId('mutates-badge').count()).toBe(0);
    expect(await row(page, 'GET /orders/{id}').getByTestId('inventory-errors').textContent()).toBe('2 (50%)');
    expect(await row(page, 'GET /orders/{id}').getByTestId('credential-name').allTextContents()).toEqual(['header:authorization']);
    expect(await row(page, 'INSERT refunds').getByTestId('credential-name').allTextContents()).toEqual([`user:${postgres.user}`]);
    expect(await row(page, 'GET /status').getByTestId('inventory-credentials').textContent()).toBe('none');
    const text = await page.locator('main').innerText();
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(errors).toEqual([]);
  });

  it('puts the host only the second period reached first, as new, when compared with the period before', async () => {
    // The previous period is as long as this one and ends where it starts: an hour holds the first run.
    const until = new Date(Date.parse(betweenRuns) + 3_600_000).toISOString();
    const { page, errors } = await open(`/inventory?${new URLSearchParams({ since: betweenRuns, until })}`);
    await poll(() => page.getByTestId('inventory-row').count()).toBe(11);
    expect(await page.getByTestId('inventory-new').count()).toBe(0);

    await page.getByTestId('inventory-compare').selectOption('same');
    await poll(() => page.getByTestId('new-system').count()).toBe(1);
    expect(await page.getByTestId('new-system').getAttribute('data-system')).toBe('localhost');
    expect(await page.getByTestId('new-mutating').count()).toBe(0);
    // What is new comes before the tables.
    expect(await page.locator('[data-testid="inventory-new"] ~ [data-testid="inventory-service"]').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('compare')).toBe('same');
    expect(errors).toEqual([]);
  });

  it('says when the period holds no call, and what a bad time should be', async () => {
    const { page, errors } = await open('/inventory?since=2020-01-01&until=2020-01-02');
    await poll(() => page.getByTestId('inventory-empty').count()).toBe(1);
    expect(await page.getByTestId('inventory-empty').textContent()).toMatch(/^No recorded calls between 2020-01-0\d \d\d:\d\d:00 and 2020-01-0\d \d\d:\d\d:00\./);
    expect(errors).toEqual([]);

    await page.getByTestId('inventory-since').fill('last week');
    await poll(() => page.getByTestId('error').textContent()).toContain('since takes a time back from now (30m, 2h, 7d, 1w) or an ISO time');
    // The browser reports the refused request itself; nothing else went wrong.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);

    const refused = await fetch(`${ui.origin}/api/inventory?since=yesterday-ish`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'Bad inventory filter: since takes a time back from now (30m, 2h, 7d, 1w) or an ISO time (2025-06-01, 2025-06-01T09:30Z), not "yesterday-ish".',
    );
    const answer = (await (await fetch(`${ui.origin}/api/inventory?since=${encodeURIComponent(beforeRuns)}`)).json()) as InventoryResponse;
    expect(answer.services).toEqual(['inventory-app']);
  });
});
