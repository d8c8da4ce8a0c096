import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, REPO_ROOT, recordedTraceId, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
import { chatCompletionAnswer } from './support/openai-compatible.js';

// The CLI as someone debugging a run meets it: one store, a support agent recorded into it.
const work = tempDir('tracetape-cli-debugger-');
// Plain text whatever the terminal the tests run from says about colour.
const plain = { NO_COLOR: undefined, FORCE_COLOR: undefined };
const env = { ...plain, TRACETAPE_DIR: path.join(work.dir, 'store') };
const APP = path.join(FIXTURES, 'refund-agent-app.mjs');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x01]);

let llm: CountingServer;
let shop: { url: string; requests: number; close(): Promise<void> };
let appEnv: Record<string, string | undefined>;
let agent: { traceId: string; stdout: string; stderr: string };

/** The model calls a tool first; once it has the tool's result, it answers (streamed). */
function modelAnswer(body: string, n: number) {
  const request = JSON.parse(body) as { model: string; messages: Array<{ role: string }> };
  if (request.messages.some((message) => message.role === 'tool')) return chatCompletionAnswer(body, n);
  const toolCall = { id: `call_${n}`, type: 'function', function: { name: 'issue_refund', arguments: '{"order":"42"}' } };
  return {
    body: JSON.stringify({
      id: `chatcmpl-${n}`,
      object: 'chat.completion',
      created: 1_700_000_000,
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 40, completion_tokens: 9, total_tokens: 49 },
    }),
  };
}

/** The shop: refunds and carts are side effects; the receipt is binary; /fail answers 500. */
async function startShop(): Promise<typeof shop> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/refunds')) res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ refund: state.requests, status: 'issued' }));
      else if (req.url === '/carts/7') res.writeHead(204).end();
      else if (req.url === '/receipt.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('shop is down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function record(extra: Record<string, string | undefined> = {}, recordArgs: string[] = [], command = ['node', APP]) {
  const result = await tracetape(['record', ...recordArgs, '--', ...command], { ...env, ...appEnv, ...extra });
  expect(result.code, result.stderr).toBe(0);
  return { ...result, traceId: recordedTraceId(result.stderr) };
}

beforeAll(async () => {
  llm = await startCountingServer(({ body }, n) => modelAnswer(body, n));
  shop = await startShop();
  appEnv = { OPENAI_BASE_URL: `${llm.url}/v1`, SHOP_URL: shop.url };
  // Nothing has read the store yet: it is only a recording log, and still a store.
  agent = await record({ OTEL_SERVICE_NAME: 'support-agent' }, ['--name', 'case-triage']);
  expect(fs.existsSync(path.join(env.TRACETAPE_DIR, 'metadata'))).toBe(false);
});

afterAll(async () => {
  await llm.close();
  await shop.close();
  work.remove();
});

describe('tracetape --version', () => {
  it('prints the package version, as --version and -V', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'packages/replay/package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await tracetape([flag], plain);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });
});

describe('a store that is not there', () => {
  it('is an error naming the path, and nothing is created there', async () => {
    const missing = path.join(work.dir, 'no-such-store');
    for (const args of [['traces'], ['tape', agent.traceId], ['query', 'SELECT 1'], ['replay', agent.traceId, '--', 'node', APP]]) {
      const result = await tracetape(args, { ...plain, TRACETAPE_DIR: missing });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`no tracetape store at ${missing} (TRACETAPE_DIR): record something first`);
      expect(result.stderr).toContain('or point TRACETAPE_DIR at the store');
    }
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('a recording log with nothing ingested yet is a store', async () => {
    // beforeAll recorded into a fresh directory and nothing read it before this file's first reading command.
    const listed = await tracetape(['traces'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(agent.traceId);
  });
});

describe('the replay hint after record', () => {
  it('quotes arguments for a POSIX shell, says node for the Node running tracetape, and runs as printed', async () => {
    const args = ['two words', `it's "quoted"`, '$HOME', ''];
    const recorded = await record({}, [], [process.execPath, APP, ...args]);
    const hint = /replay it with: (tracetape replay .*)$/m.exec(recorded.stderr)?.[1];
    expect(hint).toBe(`tracetape replay ${recorded.traceId} -- node ${APP} 'two words' 'it'\\''s "quoted"' '$HOME' ''`);

    // Pasted into a shell (tracetape being this checkout's CLI), it replays the run.
    const command = hint!.replace(/^tracetape /, `'${process.execPath}' '${CLI}' `);
    const replayed = await runProcess('sh', ['-c', command], { ...env, ...appEnv });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recorded.stdout);
  });
});

describe('trace ID prefixes', () => {
  it('a unique prefix of 8 or more hex digits names its trace in tape and replay', async () => {
    const prefix = agent.traceId.slice(0, 8);
    const tape = await tracetape(['tape', prefix.toUpperCase()], env);
    expect(tape.code, tape.stderr).toBe(0);
    expect(tape.stdout).toContain(`trace ${agent.traceId}`);

    const replayed = await tracetape(['replay', agent.traceId.slice(0, 12), '--', 'node', APP], { ...env, ...appEnv });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(agent.stdout);
    expect(replayed.stderr).toContain(`replay of ${agent.traceId}:`);

    const fixtures = path.join(work.dir, 'fixtures');
    const fixture = await tracetape(['fixture', prefix, '-o', fixtures], env);
    expect(fixture.code, fixture.stderr).toBe(0);
    expect(fixture.stderr).toContain(`of trace ${agent.traceId})`);
    expect(fs.readdirSync(fixtures)).toEqual([`case-triage-${prefix}.contract.json`, `case-triage-${prefix}.tape.json`]);
  });

  it('an ambiguous prefix lists its matches with their run names; an unknown one is an unknown trace', async () => {
    // Two runs whose trace IDs share their first 8 digits: each joins the trace its TRACEPARENT names.
    const shared = 'abcdef01';
    const ids = ['1', '2'].map((d) => `${shared}${d.repeat(24)}`);
    for (const [i, id] of ids.entries()) {
      await record({ TRACEPARENT: `00-${id}-${'0'.repeat(15)}${i + 1}-01` }, ['--name', `twin-${i + 1}`]);
    }
    const ambiguous = await tracetape(['tape', shared], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`trace ID prefix ${shared} matches 2 traces; type more of the ID to pick one:`);
    for (const [i, id] of ids.entries()) expect(ambiguous.stderr).toMatch(new RegExp(`^  ${id}  twin-${i + 1}  \\d{4}-\\d\\d-\\d\\d `, 'm'));

    const picked = await tracetape(['tape', `${shared}2`], env);
    expect(picked.code, picked.stderr).toBe(0);
    expect(picked.stdout).toContain(`trace ${ids[1]}`);

    const unknown = await tracetape(['tape', '0123456789'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No spans for trace 0123456789… (a prefix)');
    const short = await tracetape(['replay', 'abcdef0', '--', 'node', APP], env);
    expect(short.code, short.stderr).toBe(2);
    expect(short.stderr).toContain('expected 32 hexadecimal characters, or the first 8 or more of them');
  });
});

describe('tracetape tape', () => {
  it('shows each step with its start offset, the tools the model called and a prompt snippet', async () => {
    const result = await tracetape(['tape', agent.traceId], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.find((line) => line.startsWith('step'))).toMatch(/^step\s+start\s+kind\s+method\s+url/);
    const first = lines.find((line) => /^1\s/.test(line))!;
    expect(first).toMatch(/^1\s+\+\d+\.\d (ms|s)\s+llm\s+POST/);
    expect(first).toContain('calls issue_refund');
    expect(first).toContain('prompt "Where is my refund for order 42? It has been two weeks and…"');
    const offsets = lines.filter((line) => /^\d+\s/.test(line)).map((line) => /\+(\d+\.\d) ms|\+(\d+\.\d) s/.exec(line));
    expect(offsets.every(Boolean)).toBe(true);
    // No colour when stdout is not a terminal.
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('--step N prints one step whole', async () => {
    const timeline = (await tracetape(['tape', agent.traceId, '--json'], env)).stdout;
    const tape = JSON.parse(timeline) as { entries: Array<{ step: number; inputHash: string; request: { normalized: { method: string; url: string } } }> };
    const stepOf = (predicate: (url: string, method: string) => boolean) =>
      tape.entries.find((entry) => predicate(entry.request.normalized.url, entry.request.normalized.method))!;

    const llmStep = tape.entries[0]!;
    const first = await tracetape(['tape', agent.traceId, '--step', String(llmStep.step)], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^step ${llmStep.step} of ${tape.entries.length}  trace ${agent.traceId}  \\+`));
    expect(first.stdout).toContain(`input hash  ${llmStep.inputHash}`);
    expect(first.stdout).toContain(`POST ${llm.url}/v1/chat/completions`);
    expect(first.stdout).toContain('authorization: [REDACTED]');
    // JSON indented, keys on lines of their own.
    expect(first.stdout).toMatch(/\n {6}"model": "gpt-test",\n/);
    expect(first.stdout).toContain('model       gpt-test');
    expect(first.stdout).toContain('tokens      40 in / 9 out');
    expect(first.stdout).toContain('tools       lookup_order, issue_refund');
    expect(first.stdout).toContain('tool calls  issue_refund');
    expect(first.stdout).toContain('[system] You are a support agent for a shop.');
    expect(first.stdout).toContain('[user] Where is my refund for order 42?');

    const streamed = tape.entries.at(-1)!;
    const last = await tracetape(['tape', agent.traceId, '--step', String(streamed.step)], env);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toMatch(/streamed: \d+ chunk\(s\), [\d.]+ (B|KB) over /);
    expect(last.stdout).toMatch(/^ {4}\+\d+\.\d ms\s+data: \{"id":/m);
    expect(last.stdout).toContain('data: [DONE]');
    expect(last.stdout).toContain('[tool] refund issued');

    const receipt = stepOf((url) => url.endsWith('/receipt.png'));
    const binary = await tracetape(['tape', agent.traceId, '--step', String(receipt.step)], env);
    expect(binary.stdout).toContain(`body: ${PNG.length} B of binary data, image/png, not shown`);

    const missing = await tracetape(['tape', agent.traceId, '--step', '99'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--step: the tape of trace ${agent.traceId} has no step 99`);
  });
});

describe('the replay report', () => {
  it('counts suppressed side effects by method and path; --verbose lists each', async () => {
    const replayed = await tracetape(['replay', agent.traceId, '--', 'node', APP], { ...env, ...appEnv });
    expect(replayed.code, replayed.stderr).toBe(0);
    // 3 refunds, 1 cart, 2 model calls: all POST or DELETE.
    expect(replayed.stderr).toContain(
      `tracetape: 6 side effect(s) suppressed: 3× POST ${shop.url}/refunds, 2× POST ${llm.url}/v1/chat/completions, 1× DELETE ${shop.url}/carts/7 (answered from the tape, not sent; --verbose lists each)`,
    );
    expect(replayed.stderr).not.toContain('side effect suppressed: step');

    const verbose = await tracetape(['replay', agent.traceId, '--verbose', '--', 'node', APP], { ...env, ...appEnv });
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr.match(/side effect suppressed: step \d+ POST \S+\/refunds\?attempt=\d answered from the tape \(201\)/g)).toHaveLength(3);
    expect(verbose.stderr).toMatch(/side effect suppressed: step \d+ DELETE \S+\/carts\/7 answered from the tape \(204\)/);
  });

  it('names the diverging call with the same number as the error the app sees, through the SDK retrying it', async () => {
    llm.reset();
    const replayed = await tracetape(['replay', agent.traceId, '--', 'node', APP], { ...env, ...appEnv, PROMPT: 'Cancel my order.', MAX_RETRIES: '2' });
    expect(replayed.code).not.toBe(0);
    expect(llm.count()).toBe(0);
    const appSaid = [...replayed.stderr.matchAll(/replay diverged at call #(\d+)/g)].map((m) => m[1]);
    expect(appSaid.length).toBeGreaterThan(0);
    expect(new Set(appSaid)).toEqual(new Set(['1']));
    expect(replayed.stderr).toContain(`tracetape: DIVERGED at call #1: POST ${llm.url}/v1/chat/completions is not on the tape.`);
    expect(replayed.stderr).toContain('(2 repeated attempt(s) of the same call were blocked too)');
  });

  it('colours DIVERGED when asked to (FORCE_COLOR), and never under NO_COLOR', async () => {
    const diverging = { ...env, ...appEnv, PROMPT: 'Cancel my order.' };
    const forced = await tracetape(['replay', agent.traceId, '--', 'node', APP], { ...diverging, FORCE_COLOR: '1' });
    expect(forced.stderr).toContain('tracetape: \u001b[31mDIVERGED\u001b[39m at call #1');
    const refused = await tracetape(['replay', agent.traceId, '--', 'node', APP], { ...diverging, FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(refused.stderr).toContain('tracetape: DIVERGED at call #1');
    // The app's own output (Node colours an uncaught error under FORCE_COLOR) is not tracetape's.
    const ours = refused.stderr.split('\n').filter((line) => line.startsWith('tracetape:'));
    expect(ours.join('\n')).not.toContain('\u001b[');
  });
});

describe('tracetape traces', () => {
  it('says ok and error, shows human durations, and filters by service, name, since and status', async () => {
    const failed = await record({ OTEL_SERVICE_NAME: 'support-agent', FAIL: '1' }, ['--name', 'case-outage']);
    const listed = await tracetape(['traces', '--limit', '50'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const row = (id: string) => listed.stdout.split('\n').find((line) => line.startsWith(id)) ?? '';
    expect(row(agent.traceId)).toMatch(/^\S+\s+support-agent\s+case-triage\s+\S+ \S+\s+(\d+ ms|\d+\.\d s)\s+ok\s+\d+$/);
    expect(row(failed.traceId)).toMatch(/\s+error\s+\d+$/);
    expect(listed.stdout).not.toMatch(/\b(Unset|Ok|Error)\b/);

    // Recordings only: the replays this file made are stored and listed too (see below).
    const runsOf = async (...filters: string[]) => {
      const result = await tracetape(['traces', '--json', '--limit', '50', ...filters], env);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { traceId: string; runType?: string; replayOf?: string });
    };
    const ids = async (...filters: string[]) => (await runsOf(...filters)).filter((run) => run.runType !== 'replay').map((run) => run.traceId);
    expect((await runsOf('--service', 'support-agent')).some((run) => run.runType === 'replay' && run.replayOf === agent.traceId)).toBe(true);
    expect(row(agent.traceId)).not.toBe('');
    expect(listed.stdout).toContain(`replay of ${agent.traceId.slice(0, 8)}`);
    expect(await ids('--status', 'error')).toEqual([failed.traceId]);
    expect(await ids('--status', 'ok')).toContain(agent.traceId);
    expect(await ids('--status', 'ok')).not.toContain(failed.traceId);
    expect(await ids('--service', 'support-agent')).toEqual([failed.traceId, agent.traceId]);
    expect(await ids('--name', 'TRIAGE')).toEqual([agent.traceId]);
    // Runs not named by --name take the script's name (refund-agent-app.mjs), which has no "case".
    expect(await ids('--since', '1h', '--name', 'Case-')).toEqual([failed.traceId, agent.traceId]);
    expect(await ids('--since', '2999-01-01')).toEqual([]);

    const none = await tracetape(['traces', '--service', 'no-such-service'], env);
    expect(none.stdout).toContain('No traces match these filters.');
    const bad = await tracetape(['traces', '--since', 'yesterday'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a time back from now (30m, 2h, 7d, 1w) or an ISO time');
  });
});

describe('tracetape query', () => {
  it('is read-only unless --write: DROP is refused with what to do, and runs with --write', async () => {
    const created = await tracetape(['query', 'CREATE TABLE scratch (n UInt8) ENGINE = Memory'], env);
    expect(created.code).toBe(2);
    expect(created.stderr).toContain('tracetape: query is read-only; add --write to change the store');

    const made = await tracetape(['query', '--write', 'CREATE TABLE scratch (n UInt8) ENGINE = Memory'], env);
    expect(made.code, made.stderr).toBe(0);
    const dropped = await tracetape(['query', 'DROP TABLE otel_traces'], env);
    expect(dropped.code).toBe(2);
    expect(dropped.stderr).toContain('query is read-only; add --write to change the store');
    // The recordings are still there.
    expect((await tracetape(['tape', agent.traceId], env)).code).toBe(0);

    const gone = await tracetape(['query', '--write', 'DROP TABLE scratch'], env);
    expect(gone.code, gone.stderr).toBe(0);
    const exists = await tracetape(['query', "SELECT count() AS n FROM system.tables WHERE name = 'scratch'", '--format', 'json'], env);
    expect(exists.stdout.trim()).toMatch(/^\{"n":"?0"?\}$/);
  });

  it('prints "0 rows" for an empty table result, and a SQL error with no unrelated hint', async () => {
    const empty = await tracetape(['query', "SELECT TraceId FROM otel_traces WHERE TraceId = 'none'"], env);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('0 rows\n');

    const typo = await tracetape(['query', 'SELEC 1'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^tracetape: query failed: .*Syntax error/);
    expect(typo.stderr).not.toContain('schema');
  });
});
