import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, queryRows, recordedTraceId, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { startPostgres, type PostgresServer } from './support/databases.js';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';

/*
 * Runs every ```sql block of docs/sql-recipes.md through `tracetape query` against runs recorded
 * through the CLI: an LLM call whose answer is large enough to move to the payload table, a run
 * whose upstream failed, a run's queries against a real PostgreSQL server, and a fixture made from
 * the LLM run and checked with `tracetape check`, and a refund sent again after the app's own
 * timeout gave up on it, without and then with an Idempotency-Key. Each recipe (a ## or ### heading
 * with its sql block) must return rows with the columns it documents.
 */

const RECIPES_FILE = path.join(REPO_ROOT, 'docs/sql-recipes.md');
const recipes = [...fs.readFileSync(RECIPES_FILE, 'utf8').matchAll(/^###? (.+)$|^```sql\n([\s\S]*?)^```$/gm)].reduce<{ title: string; sql: string }[]>(
  (found, match) => {
    if (match[1]) found.push({ title: match[1], sql: '' });
    else if (match[2] && found.length > 0) found[found.length - 1]!.sql = match[2].trim();
    return found;
  },
  [],
).filter((recipe) => recipe.sql !== '');

const EXPECTED_COLUMNS: Record<string, string[]> = {
  'Runs that failed': ['trace_id', 'service', 'run', 'started', 'error_spans', 'first_error', 'recorded_calls'],
  'The queries a run made': ['time', 'system', 'database', 'statement', 'writes', 'duration_ms', 'error'],
  'The LLM calls of a run, with their prompts': ['time', 'provider', 'model', 'latency_ms', 'input_tokens', 'output_tokens', 'prompt', 'response_body'],
  'Token use by model': ['day', 'model', 'calls', 'input_tokens', 'output_tokens', 'p95_latency_ms'],
  'All runs that made a given call': ['trace_id', 'service', 'first_call', 'times_called', 'status_codes'],
  'Which calls were recorded most': ['input_hash', 'method', 'url', 'calls', 'runs'],
  'Repeated side effects': [
    'trace_id', 'service', 'method', 'target', 'first_step', 'repeat_step', 'first_span_id', 'repeat_span_id', 'seconds_between',
    'first_status', 'idempotency_key_first', 'idempotency_key_repeat', 'verdict', 'strength',
  ],
  'Runs with a repeated side effect': ['trace_id', 'service', 'run', 'started', 'repeats'],
  'Claims without actions': ['trace_id', 'service', 'answered_at', 'final_answer', 'claimed', 'backing_calls'],
  "Each fixture's health": ['fixture', 'health', 'last_verdict', 'last_run', 'last_pass', 'seconds_since_last_pass', 'runs_in_interval', 'interval_s', 'replay_of'],
  'How many fixtures pass, fail or are stale': ['passing', 'failing', 'stale'],
  'Every external system the runs touched': ['service', 'door', 'target', 'operation', 'mutates', 'calls', 'errors', 'first_seen', 'last_seen', 'credentials'],
};

// Long enough to be stored as deduplicated chunks, which the recipes read through the text view.
const LONG_ANSWER = Array.from({ length: 3000 }, (_, i) => `verse ${i} of the replayed answer`).join(' ');
const store = tempDir('tracetape-sql-recipes-');
const env = { TRACETAPE_DIR: path.join(store.dir, 'store') };
let llm: CountingServer;
let failing: CountingServer;
let llmTrace = '';
let failedTrace = '';
let llmInputHash = '';
let postgres: PostgresServer;
let queriesTrace = '';
let fixtureId = '';
const shops: CountingServer[] = [];
let repeatedTrace = '';
let keyedTrace = '';
const agentServers: Array<{ close(): Promise<void> }> = [];
let claimOnlyTrace = '';
let refundedTrace = '';

beforeAll(async () => {
  llm = await startCountingServer(({ body }) => {
    const request = JSON.parse(body) as { model: string };
    return {
      body: JSON.stringify({
        id: 'chatcmpl-recipes',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: `${request.model}-2025`,
        choices: [{ index: 0, message: { role: 'assistant', content: LONG_ANSWER }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 14, completion_tokens: 800, total_tokens: 814 },
      }),
    };
  });
  failing = await startCountingServer(() => ({ status: 503, body: JSON.stringify({ error: 'unavailable' }) }));

  const recordedLlm = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'openai-app.mjs')], { ...env, OPENAI_BASE_URL: `${llm.url}/v1`, STREAM: '0' });
  expect(recordedLlm.code, recordedLlm.stderr).toBe(0);
  llmTrace = recordedTraceId(recordedLlm.stderr);
  const recordedFailure = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'esm-app.mjs')], { ...env, UPSTREAM_URL: failing.url });
  expect(recordedFailure.code, recordedFailure.stderr).toBe(0);
  failedTrace = recordedTraceId(recordedFailure.stderr);
  postgres = await startPostgres();
  const database = await postgres.createDatabase('recipes');
  const schema = await tracetape(['record', '--', 'node', '-e', SCHEMA_SCRIPT], { ...env, DATABASE_URL: database.url });
  expect(schema.code, schema.stderr).toBe(0);
  const recordedQueries = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'postgres-refund-app.mjs')], { ...env, DATABASE_URL: database.url });
  expect(recordedQueries.code, recordedQueries.stderr).toBe(0);
  queriesTrace = recordedTraceId(recordedQueries.stderr);
  const tape = await tracetape(['tape', llmTrace, '--json'], env);
  llmInputHash = JSON.parse(tape.stdout).entries[0].inputHash as string;

  // A fixture of the LLM run, checked once: the check run the fixture-health recipes read.
  const fixtures = path.join(store.dir, 'fixtures');
  const written = await tracetape(['fixture', llmTrace, '-o', fixtures, '--', 'node', path.join(FIXTURES, 'openai-app.mjs')], env);
  expect(written.code, written.stderr).toBe(0);
  const [contract] = fs.readdirSync(fixtures).filter((file) => file.endsWith('.contract.json'));
  fixtureId = (JSON.parse(fs.readFileSync(path.join(fixtures, contract!), 'utf8')) as { fixture: string }).fixture;
  const checked = await tracetape(['check', fixtures], { ...env, OPENAI_BASE_URL: `${llm.url}/v1`, STREAM: '0' });
  expect(checked.code, checked.stdout + checked.stderr).toBe(0);

  // A refund that times out in the app (the shop answers late) and is sent again: without a key, then with one.
  repeatedTrace = await recordRefundRetry({});
  keyedTrace = await recordRefundRetry({ IDEMPOTENCY_KEY: 'refund-A-1001' });

  // The support agent's model says the refund was made: once without making it, once after the refund call.
  claimOnlyTrace = await recordAgent('claim-only');
  refundedTrace = await recordAgent('refund');
}, 120_000);

async function recordAgent(plan: 'claim-only' | 'refund'): Promise<string> {
  const model = await startLlmServer({ plan });
  const shop = await startShopService();
  agentServers.push(model, shop);
  const recorded = await tracetape(['record', '--', 'node', 'examples/support-agent/agent.mjs'], { ...env, OPENAI_BASE_URL: model.url, SHOP_URL: shop.url });
  expect(recorded.code, recorded.stderr).toBe(0);
  return recordedTraceId(recorded.stderr);
}

/** One run of repeated-refund-app.mjs against a fresh shop that answers the first refund after 1.5 s. */
async function recordRefundRetry(extra: Record<string, string>): Promise<string> {
  let refunds = 0;
  const shop = await startCountingServer(({ method }) =>
    method === 'POST' ? { status: 201, body: JSON.stringify({ refunded: true }), delayMs: ++refunds === 1 ? 1500 : 0 } : { body: JSON.stringify({ order: 'A-1001', total: 19.99 }) },
  );
  shops.push(shop);
  const recorded = await tracetape(['record', '--', 'node', path.join(FIXTURES, 'repeated-refund-app.mjs')], { ...env, SHOP_URL: shop.url, REFUND_TIMEOUT_MS: '300', ...extra });
  expect(recorded.code, recorded.stderr).toBe(0);
  expect(recorded.stdout).toContain('refund attempt 1 failed (TimeoutError)');
  expect(refunds).toBe(2);
  return recordedTraceId(recorded.stderr);
}

afterAll(async () => {
  await postgres?.stop();
  await llm?.close();
  await failing?.close();
  await Promise.all([...shops, ...agentServers].map((server) => server.close()));
  store.remove();
});

/** The tables postgres-refund-app.mjs works on (made through the hook too: a run of its own). */
const SCHEMA_SCRIPT = `
  import('pg').then(async ({ default: pg }) => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query('CREATE TABLE orders (id serial PRIMARY KEY, customer text, total numeric(10,2), paid_at timestamptz, meta jsonb, receipt bytea, refunded boolean DEFAULT false)');
    await client.query('CREATE TABLE refunds (id serial PRIMARY KEY, order_id int, amount numeric(10,2), payment_token text)');
    await client.query("INSERT INTO orders (customer, total) VALUES ('ada', 19.99), ('grace', 5), ('linus', 7.5)");
    await client.end();
  });
`;

/** The recipe with its example values swapped for the recorded run's (the queries recipe reads the database run). */
function withRecordedValues(sql: string, traceId = llmTrace): string {
  return sql
    .replace(/WITH '[0-9a-f]{32}' AS trace_id/, `WITH '${traceId}' AS trace_id`)
    .replace(/WITH '[0-9a-f]{64}' AS input_hash/, `WITH '${llmInputHash}' AS input_hash`);
}

async function run(sql: string): Promise<Record<string, unknown>[]> {
  return queryRows<Record<string, unknown>>(sql, env);
}

describe('docs/sql-recipes.md', () => {
  it('documents every recipe this test knows, and nothing else', () => {
    expect(recipes.map((r) => r.title).sort()).toEqual(Object.keys(EXPECTED_COLUMNS).sort());
  });

  for (const recipe of recipes) {
    it(`${recipe.title}: returns rows with the documented columns`, async () => {
      const rows = await run(withRecordedValues(recipe.sql, recipe.title === 'The queries a run made' ? queriesTrace : llmTrace));
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(row)).toEqual(EXPECTED_COLUMNS[recipe.title]);
    });
  }

  it('answers with the recorded runs', async () => {
    const byTitle = (title: string): string => withRecordedValues(recipes.find((r) => r.title === title)!.sql);

    // The database run failed too: one of its queries hit a unique violation; so did the refund runs (a timed-out attempt).
    const failed = await run(byTitle('Runs that failed'));
    expect(failed.map((r) => r.trace_id).sort()).toEqual([failedTrace, queriesTrace, repeatedTrace, keyedTrace].sort());
    expect(Number(failed.find((r) => r.trace_id === failedTrace)!.recorded_calls)).toBe(2);
    expect(Number(failed.find((r) => r.trace_id === queriesTrace)!.recorded_calls)).toBe(12);

    const [call] = await run(byTitle('The LLM calls of a run, with their prompts'));
    expect(call).toMatchObject({ provider: 'openai', model: 'gpt-test' });
    expect([call!.input_tokens, call!.output_tokens].map(Number)).toEqual([14, 800]);
    expect(JSON.parse(String(call!.prompt))).toEqual([{ role: 'user', content: 'Write a haiku about replaying production traffic.' }]);
    // The answer was over the offload threshold: it comes back from the payload table, not as a reference.
    expect(String(call!.response_body)).toContain(LONG_ANSWER);

    const tokens = await run(byTitle('Token use by model'));
    // The support agent's runs asked for their own model.
    expect(tokens.map((t) => t.model).sort()).toEqual(['gpt-4o-mini', 'gpt-test-2025']);

    const queries = await run(withRecordedValues(recipes.find((r) => r.title === 'The queries a run made')!.sql, queriesTrace));
    expect(queries.map((q) => q.system)).toEqual(Array(12).fill('postgresql'));
    expect(queries[0]).toMatchObject({ database: 'recipes', writes: 0, error: '' });
    const writes = queries.filter((q) => q.writes === 1).map((q) => q.statement);
    expect(writes).toEqual([
      'INSERT INTO refunds (order_id, amount, payment_token) VALUES ($1, $2, $3) RETURNING id',
      'UPDATE orders SET refunded = true WHERE id = $1',
      'INSERT INTO refunds (id, order_id, amount) VALUES (1, 1, 0)',
    ]);
    expect(queries.filter((q) => q.error !== '').map((q) => q.error)).toEqual([expect.stringContaining('duplicate key value violates unique constraint')]);

    // The one fixture, checked a moment ago and passed: passing, within its (default, one-day) interval.
    const [fixture, ...noOther] = await run(byTitle("Each fixture's health"));
    expect(noOther).toEqual([]);
    expect(fixture).toMatchObject({ fixture: fixtureId, health: 'passing', last_verdict: 'pass', replay_of: llmTrace });
    expect([fixture!.runs_in_interval, fixture!.interval_s].map(Number)).toEqual([1, 86_400]);
    expect(Number(fixture!.seconds_since_last_pass)).toBeGreaterThanOrEqual(0);
    expect(Number(fixture!.seconds_since_last_pass)).toBeLessThan(600);
    const [counts] = await run(byTitle('How many fixtures pass, fail or are stale'));
    expect([counts!.passing, counts!.failing, counts!.stale].map(Number)).toEqual([1, 0, 0]);

    const same = await run(byTitle('All runs that made a given call'));
    expect(same.map((r) => r.trace_id)).toEqual([llmTrace]);
    expect(same[0]!.status_codes).toEqual(['200']);
  });

  it('finds the refund sent again after it timed out, and the retry with the same Idempotency-Key', async () => {
    const byTitle = (title: string): string => recipes.find((r) => r.title === title)!.sql;
    const pairs = await run(byTitle('Repeated side effects'));
    // Newest first. Step 1 is the GET of the order: not a side effect, not paired.
    expect(pairs.map((p) => [p.trace_id, p.first_step, p.repeat_step, p.verdict, p.strength])).toEqual([
      [keyedTrace, 2, 3, 'safely retried', 'strong'],
      [repeatedTrace, 2, 3, 'repeated', 'strong'],
    ]);
    const [keyed, repeated] = pairs;
    expect(repeated).toMatchObject({ service: 'repeated-refund-app', method: 'POST', first_status: 'Error', idempotency_key_first: '', idempotency_key_repeat: '' });
    expect(String(repeated!.target)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/refunds$/);
    expect(keyed).toMatchObject({ idempotency_key_first: 'refund-A-1001', idempotency_key_repeat: 'refund-A-1001' });
    // The app gave up on the first attempt after 300 ms and sent the second at once.
    // The retry came after the first attempt and before the shop's late answer to it: the span
    // clocks are not the app's timer, so no closer bound is taken from its 300 ms timeout.
    expect(Number(repeated!.seconds_between)).toBeGreaterThan(0);
    expect(Number(repeated!.seconds_between)).toBeLessThan(1.5);

    // The steps and spans are the tape's: its step 2 and 3 are the two refunds, those spans.
    const tape = JSON.parse((await tracetape(['tape', repeatedTrace, '--json'], env)).stdout) as { entries: { step: number; spanId: string; request: { normalized: { method: string } } }[] };
    expect(tape.entries.map((e) => [e.step, e.request.normalized.method])).toEqual([[1, 'GET'], [2, 'POST'], [3, 'POST']]);
    expect([repeated!.first_span_id, repeated!.repeat_span_id]).toEqual([tape.entries[1]!.spanId, tape.entries[2]!.spanId]);

    // Only the unkeyed repeat makes its run one with a repeated side effect.
    const runs = await run(byTitle('Runs with a repeated side effect'));
    expect(runs.map((r) => [r.trace_id, Number(r.repeats)])).toEqual([[repeatedTrace, 1]]);
    expect(runs[0]).toMatchObject({ service: 'repeated-refund-app', run: 'repeated-refund-app.mjs' });
  });

  it('finds the answer that claims a refund no call made, and not the one after the refund call', async () => {
    const rows = await run(recipes.find((r) => r.title === 'Claims without actions')!.sql);
    expect(rows.map((r) => r.trace_id)).toEqual([claimOnlyTrace]);
    expect(rows[0]).toMatchObject({ service: 'agent', backing_calls: 0 });
    expect(String(rows[0]!.final_answer)).toContain(String(rows[0]!.claimed));
    expect(['submitted your refund', 'has been issued']).toContain(rows[0]!.claimed);
    expect(rows.map((r) => r.trace_id)).not.toContain(refundedTrace);
  });

  it('lists the model and the database writes in the inventory, credentials by name', async () => {
    const rows = await run(recipes.find((r) => r.title === 'Every external system the runs touched')!.sql);
    const llmCall = rows.find((r) => r.door === 'llm' && r.service === 'openai-app');
    expect(llmCall).toMatchObject({ operation: 'gpt-test', mutates: 0, credentials: ['header:authorization'] });
    expect(String(llmCall!.target)).toMatch(/^http:\/\/127\.0\.0\.1\/v1\/chat\/completions$/);
    const writes = rows.filter((r) => r.door === 'postgres' && r.mutates === 1).map((r) => r.operation);
    expect(writes).toEqual(expect.arrayContaining(['INSERT', 'UPDATE']));
    expect(rows.find((r) => r.door === 'postgres')!.target).toBe('postgres://127.0.0.1/recipes');
  });

  it('the payload really was offloaded, so the join is what found it', async () => {
    const rows = await run(`SELECT SpanAttributes['tracetape.response'] AS ref FROM otel_traces WHERE TraceId = '${llmTrace}' AND mapContains(SpanAttributes, 'gen_ai.operation.name')`);
    expect(String(rows[0]!.ref)).toMatch(/^tracetape-payload:sha256:[0-9a-f]{64}$/);
    const hash = String(rows[0]!.ref).split(':').pop();
    const [stored] = await run(`SELECT startsWith(Data, 'tracetape-chunks:v1') AS chunked FROM tracetape_payloads WHERE Hash = '${hash}'`);
    expect(Number(stored!.chunked)).toBe(1);
  });
});
