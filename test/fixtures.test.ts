import fs from 'node:fs';
import path from 'node:path';
import { parseTape, PAYLOAD_REF_PREFIX, REDACTED, TapeIntegrityError } from '@tracetape/core';
import { PlaybackAlreadyActiveError, ReplayFailedError, replayTape, replayTapeCommand } from '@tracetape/replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, recordedTraceId, REPO_ROOT, runProcess, tempDir, tracetape } from './support/cli.js';
import { startCountingServer, type CountingServer } from './support/counting-server.js';
// The same module the recorded run executed: the in-process replay runs the very code under test.
import { answer } from './fixtures/fixture-agent.mjs';

const AGENT = path.join(FIXTURES, 'fixture-agent.mjs');
const QUESTION = 'What is a replay fixture?';
const API_KEY = `sk-${Math.random().toString(36).slice(2)}-fixture`;
// Sent in a header the recorder is NOT told to redact: only the fixture redaction pass removes it.
const TOKEN = `tok-${Math.random().toString(36).slice(2)}-fixture`;

const work = tempDir('tracetape-fixtures-');
const env = { TRACETAPE_DIR: path.join(work.dir, 'store') };
const fixturesDir = path.join(work.dir, 'committed', 'fixtures');
let upstream: CountingServer;
let agentEnv: Record<string, string>;
let traceId: string;
let recordedOutput: string;
let fixtureFile: string;
let fixtureStderr: string;

beforeAll(async () => {
  upstream = await startCountingServer(({ body }, n) => ({
    // Different on every call, and large enough to be offloaded to the payload table.
    body: JSON.stringify({ text: `#${n} ${Math.random()} for ${JSON.parse(body).question}`, padding: 'p'.repeat(4096) }),
  }));
  agentEnv = { ...env, UPSTREAM_URL: upstream.url, UPSTREAM_API_KEY: API_KEY, UPSTREAM_TOKEN: TOKEN };
  const recorded = await tracetape(['record', '--', 'node', AGENT, QUESTION], agentEnv);
  expect(recorded.code, recorded.stderr).toBe(0);
  expect(upstream.seenHeaders[0]?.authorization).toBe(`Bearer ${API_KEY}`);
  traceId = recordedTraceId(recorded.stderr);
  recordedOutput = recorded.stdout;

  const frozen = await tracetape(['fixture', traceId, '-o', fixturesDir], { ...env, TRACETAPE_REDACT_HEADERS: 'x-upstream-token' });
  expect(frozen.code, frozen.stderr).toBe(0);
  fixtureStderr = frozen.stderr;
  fixtureFile = path.join(fixturesDir, `fixture-agent-${traceId.slice(0, 8)}.tape.json`);
});

afterAll(async () => {
  await upstream.close();
  work.remove();
});

describe('tracetape fixture', () => {
  it('writes <run name>-<trace id prefix>.tape.json into the directory and names it on stderr', () => {
    expect(fs.existsSync(fixtureFile)).toBe(true);
    expect(fixtureStderr).toContain(`wrote fixture ${fixtureFile} (1 step(s) of trace ${traceId})`);
  });

  it('writes a tape that parses and is self-contained: payloads inlined, nothing pointing at the store', async () => {
    const text = fs.readFileSync(fixtureFile, 'utf8');
    const tape = parseTape(text, fixtureFile);
    expect(tape.traceId).toBe(traceId);
    expect(tape.entries).toHaveLength(1);
    // The response really was offloaded in the store, and the fixture carries it inline.
    const offloaded = await tracetape(['query', 'SELECT count() AS n FROM tracetape_payloads', '--format', 'json'], env);
    expect(Number(JSON.parse(offloaded.stdout).n)).toBeGreaterThan(0);
    expect(text).not.toContain(PAYLOAD_REF_PREFIX);
    expect(text).toContain('p'.repeat(4096));
    // Signed after the redaction pass, so replay can tell a hand-edited copy.
    expect(JSON.parse(text).checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('carries no secret, even one the recorder was not configured to redact', async () => {
    const text = fs.readFileSync(fixtureFile, 'utf8');
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(TOKEN);
    const headers = new Map(parseTape(text).entries[0]!.request.headers.map(([name, value]) => [name.toLowerCase(), value]));
    expect(headers.get('authorization')).toBe(REDACTED);
    expect(headers.get('x-upstream-token')).toBe(REDACTED);
    // The store still holds the token (a misconfigured recorder): the fixture pass is what removed it.
    const raw = await tracetape(['tape', traceId, '--json'], env);
    expect(raw.stdout).toContain(TOKEN);
    expect(raw.stdout).not.toContain(API_KEY);
    expect(fixtureStderr).toContain('redacted 1 header value(s) the recording still carried (x-upstream-token)');
  });

  it('refuses a missing trace ID and an unknown trace clearly', async () => {
    const none = await tracetape(['fixture', '-o', fixturesDir], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Which trace?');
    const unknown = await tracetape(['fixture', '0123456789abcdef0123456789abcdef', '-o', fixturesDir], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No spans for trace 0123456789abcdef0123456789abcdef');
  });
});

describe('replayTape (in-process)', () => {
  it('replays the agent from the fixture with the recorded answer and no upstream call', async () => {
    upstream.reset();
    const { result, report } = await replayTape(fixtureFile, () => answer(QUESTION, { upstreamUrl: upstream.url, apiKey: 'another-key' }));
    expect(`${result}\n`).toBe(recordedOutput);
    expect(upstream.count()).toBe(0);
    expect(report.served).toHaveLength(1);
    expect(report.blocked).toEqual([]);
    expect(report.sideEffectsSuppressed).toHaveLength(1);
  });

  it('fails when the agent changed, with the divergence report naming the field', async () => {
    upstream.reset();
    const error = await rejection(replayTape(fixtureFile, () => answer(QUESTION, { upstreamUrl: upstream.url, style: 'long' })));
    expect(upstream.count()).toBe(0);
    expect(error).toBeInstanceOf(ReplayFailedError);
    expect(error.message).toContain(`DIVERGED at call #1: POST ${upstream.url}/v1/answer is not on the tape`);
    const diffLine = error.message.split('\n').find((line) => line.includes('body.style'));
    expect(diffLine).toContain('"short"');
    expect(diffLine).toContain('"long"');
    expect(error.message).toContain('The code under test threw: fetch failed');
    expect((error as ReplayFailedError).report?.blocked).toHaveLength(1);
  });

  it('passes when a recorded call goes unasked, unless strict', async () => {
    const lax = await replayTape(fixtureFile, () => 'no calls');
    expect(lax.result).toBe('no calls');
    expect(lax.report.unconsumed).toHaveLength(1);
    const error = await rejection(replayTape(fixtureFile, () => 'no calls', { strict: true }));
    expect(error).toBeInstanceOf(ReplayFailedError);
    expect(error.message).toContain('1 recorded step(s) never asked for (strict)');
    expect(error.message).toContain(`not replayed: step 1 POST ${upstream.url}/v1/answer was recorded but never asked for`);
  });

  it('rethrows what the code under test threw when nothing diverged, and cleans up either way', async () => {
    const boom = new Error('boom');
    await expect(replayTape(fixtureFile, () => Promise.reject(boom))).rejects.toBe(boom);
    // The session of the failed call is gone: a new one can start and replays normally.
    const { result } = await replayTape(fixtureFile, () => answer(QUESTION, { upstreamUrl: upstream.url }));
    expect(`${result}\n`).toBe(recordedOutput);
  });

  it('refuses a nested replay, since interception is process-wide', async () => {
    const error = await rejection(replayTape(fixtureFile, () => replayTape(fixtureFile, () => 'inner')));
    expect(error).toBeInstanceOf(PlaybackAlreadyActiveError);
    expect((error as PlaybackAlreadyActiveError).code).toBe('TRACETAPE_PLAYBACK_ACTIVE');
    expect(error.message).toContain('already active in this process');
    await expect(replayTape(fixtureFile, () => 'after')).resolves.toMatchObject({ result: 'after' });
  });

  it('says how to get a fixture when the file is missing', async () => {
    const error = await rejection(replayTape(path.join(work.dir, 'nope.tape.json'), () => 'x'));
    expect(error.message).toContain('Cannot read the tape file');
    expect(error.message).toContain('tracetape fixture <traceId> -o <dir>');
  });
});

describe('replayTapeCommand (child process)', () => {
  it('replays the original agent script with the recorded output and no upstream call', async () => {
    upstream.reset();
    const result = await replayTapeCommand(fixtureFile, ['node', AGENT, QUESTION], { env: agentEnv });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(recordedOutput);
    expect(result.report.served).toHaveLength(1);
    expect(result.stderr).toMatch(/1 served, 0 unconsumed, 0 blocked/);
    expect(upstream.count()).toBe(0);
  });

  it('fails for a modified copy of the agent, with the divergence report', async () => {
    const copy = tempDir('tracetape-fixture-agent-');
    try {
      const changed = path.join(copy.dir, 'fixture-agent.mjs');
      const source = fs.readFileSync(AGENT, 'utf8');
      expect(source).toContain("style = 'short'");
      fs.writeFileSync(changed, source.replace("style = 'short'", "style = 'long'"));
      upstream.reset();
      const error = await rejection(replayTapeCommand(fixtureFile, ['node', changed, QUESTION], { env: agentEnv }));
      expect(upstream.count()).toBe(0);
      expect(error).toBeInstanceOf(ReplayFailedError);
      expect(error.message).toContain('DIVERGED at call #1');
      expect(error.message.split('\n').find((line) => line.includes('body.style'))).toMatch(/"short".*"long"/);
      const failed = error as ReplayFailedError;
      expect(failed.outcome?.exitCode).not.toBe(0);
      expect(failed.report?.blocked.length).toBeGreaterThan(0);
    } finally {
      copy.remove();
    }
  });
});

describe('a hand-edited fixture', () => {
  /** A copy of the fixture whose recorded answer was rewritten by hand. */
  function editedCopy(): string {
    const file = path.join(work.dir, `edited-${Math.random().toString(36).slice(2)}.tape.json`);
    const tape = JSON.parse(fs.readFileSync(fixtureFile, 'utf8'));
    const body = tape.entries[0].response.body;
    body.data = JSON.stringify({ ...JSON.parse(body.data), text: 'edited by hand' });
    body.size = Buffer.byteLength(body.data);
    fs.writeFileSync(file, JSON.stringify(tape, null, 2));
    return file;
  }

  it('is refused by replay --tape, naming the changed step and how to proceed', async () => {
    const result = await tracetape(['replay', '--tape', editedCopy(), '--', 'node', AGENT, QUESTION], agentEnv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('its checksum does not match its content: entries[0] (step 1) was changed');
    expect(result.stderr).toContain('--allow-modified-tape');
    expect(result.stderr).toContain('tracetape tape --sign <file>');
  });

  it('replays with --allow-modified-tape, serving the edit and warning', async () => {
    upstream.reset();
    const result = await tracetape(['replay', '--tape', editedCopy(), '--allow-modified-tape', '--', 'node', AGENT, QUESTION], agentEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('answer: edited by hand\n');
    expect(result.stderr).toContain('warning:');
    expect(upstream.count()).toBe(0);
  });

  it('replays without the flag once re-signed with tracetape tape --sign', async () => {
    const file = editedCopy();
    const signed = await tracetape(['tape', '--sign', file], env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain('it was unsigned or modified');
    const result = await tracetape(['replay', '--tape', file, '--', 'node', AGENT, QUESTION], agentEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('answer: edited by hand\n');
  });

  it('gives the child a freshly signed tape when --override rewrites a step', async () => {
    const override = path.join(work.dir, 'override.json');
    fs.writeFileSync(override, JSON.stringify({ text: 'overridden' }));
    const result = await tracetape(['replay', '--tape', fixtureFile, '--override', `1=${override}`, '--', 'node', AGENT, QUESTION], agentEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('answer: overridden\n');
  });

  it('is refused by the test helpers unless allowModifiedTape is set', async () => {
    const file = editedCopy();
    const error = await rejection(replayTape(file, () => answer(QUESTION, { upstreamUrl: upstream.url })));
    expect(error).toBeInstanceOf(TapeIntegrityError);
    const { result } = await replayTape(file, () => answer(QUESTION, { upstreamUrl: upstream.url }), { allowModifiedTape: true });
    expect(result).toBe('answer: edited by hand');
    const child = await replayTapeCommand(file, ['node', AGENT, QUESTION], { env: agentEnv, allowModifiedTape: true });
    expect(child.stdout).toBe('answer: edited by hand\n');
  });
});

describe('a vitest fixture test whose code prints the time and a UUID', () => {
  const clockAgent = path.join(FIXTURES, 'clock-agent.mjs');
  const suite = path.join(FIXTURES, 'vitest-replay');
  let clockUpstream: CountingServer;
  let clockFixture: string;
  let clockOutput: string;

  beforeAll(async () => {
    // The answer echoes the ticket's ID: a replay that served another ID would print another answer.
    clockUpstream = await startCountingServer(({ body }) => ({ body: JSON.stringify({ answer: `${JSON.parse(body).id} at ${Math.random()}` }) }));
    const recorded = await tracetape(['record', '--', 'node', clockAgent], { ...env, UPSTREAM_URL: clockUpstream.url });
    expect(recorded.code, recorded.stderr).toBe(0);
    clockOutput = recorded.stdout;
    const id = recordedTraceId(recorded.stderr);
    const frozen = await tracetape(['fixture', id, '-o', fixturesDir], env);
    expect(frozen.code, frozen.stderr).toBe(0);
    clockFixture = path.join(fixturesDir, `clock-agent-${id.slice(0, 8)}.tape.json`);
  });
  afterAll(() => clockUpstream.close());

  it('replays identically in replayTape, in a vitest run of its own', async () => {
    expect(clockOutput).toMatch(/^ticket [0-9a-f-]{36} opened \d{4}-\d\d-\d\dT[0-9:.]+Z\ntrace [0-9a-f-]{36}\n/);
    const recordedFile = path.join(work.dir, 'clock-recorded.txt');
    const replayedFile = path.join(work.dir, 'clock-replayed.txt');
    fs.writeFileSync(recordedFile, clockOutput);
    clockUpstream.reset();
    // A clean vitest environment: the child must not think it is a worker of this run.
    const vitestEnv = Object.fromEntries(Object.keys(process.env).filter((key) => key.startsWith('VITEST')).map((key) => [key, undefined]));
    const child = await runProcess(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', suite],
      { ...vitestEnv, FIXTURE_FILE: clockFixture, RECORDED_OUTPUT: recordedFile, REPLAYED_OUTPUT: replayedFile, UPSTREAM_URL: clockUpstream.url, NO_COLOR: '1' },
    );
    expect(child.code, `${child.stdout}\n${child.stderr}`).toBe(0);
    expect(child.stdout).toMatch(/Tests\s+2 passed/);
    expect(fs.readFileSync(replayedFile, 'utf8')).toBe(clockOutput);
    expect(clockUpstream.count()).toBe(0);
  });
});

describe('a fixture of a conversation that resends its history on every call', () => {
  const app = path.join(FIXTURES, 'conversation-fixture-app.mjs');
  let model: CountingServer;
  let appEnv: Record<string, string>;
  let traceId: string;
  let recordedOutput: string;
  let fixture: string;

  beforeAll(async () => {
    // Answers differ on every run: a replay prints the recorded ones or fails.
    model = await startCountingServer(() => ({
      body: JSON.stringify({ choices: [{ message: { role: 'assistant', content: `${Math.random()} `.repeat(80) } }] }),
    }));
    appEnv = { ...env, UPSTREAM_URL: model.url, TURNS: '50' };
    const recorded = await tracetape(['record', '--', 'node', app], appEnv);
    expect(recorded.code, recorded.stderr).toBe(0);
    traceId = recordedTraceId(recorded.stderr);
    recordedOutput = recorded.stdout;
    const frozen = await tracetape(['fixture', traceId, '-o', fixturesDir, '--name', 'conversation'], env);
    expect(frozen.code, frozen.stderr).toBe(0);
    fixture = path.join(fixturesDir, `conversation-${traceId.slice(0, 8)}.tape.json`);
  });
  afterAll(() => model.close());

  it('stores each repeated payload once: at least 5x smaller than the tape written out whole', async () => {
    const whole = await tracetape(['tape', traceId, '--json'], env);
    expect(whole.code, whole.stderr).toBe(0);
    const compact = fs.statSync(fixture).size;
    const expanded = Buffer.byteLength(whole.stdout);
    expect(expanded / compact, `${expanded} bytes written out whole, ${compact} compact`).toBeGreaterThanOrEqual(5);
    const file = JSON.parse(fs.readFileSync(fixture, 'utf8'));
    expect(Object.keys(file.payloads).length).toBeGreaterThan(40);
    // Read back, it is the same tape as the store's, body for body.
    const fromFixture = parseTape(fs.readFileSync(fixture, 'utf8'), fixture);
    const fromStore = parseTape(whole.stdout);
    expect(fromFixture.entries.map((e) => e.request.normalized.body)).toEqual(fromStore.entries.map((e) => e.request.normalized.body));
  });

  it('replays from the compact fixture with the recorded output and no call to the model', async () => {
    model.reset();
    const replayed = await tracetape(['replay', '--tape', fixture, '--', 'node', app], appEnv);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
    expect(model.count()).toBe(0);
  });

  it('refuses a hand-edited payload naming every step that uses it, and accepts it once signed', async () => {
    const edited = path.join(work.dir, 'conversation-edited.tape.json');
    const file = JSON.parse(fs.readFileSync(fixture, 'utf8'));
    // The system message: every request holds it, through the payload table.
    const [hash, payload] = Object.entries(file.payloads).find(([, value]) => JSON.stringify(value).includes('"role":"system"'))!;
    file.payloads[hash] = JSON.parse(JSON.stringify(payload).replace('"role":"system"', '"role":"developer"'));
    fs.writeFileSync(edited, JSON.stringify(file, null, 2));
    const refused = await tracetape(['replay', '--tape', edited, '--', 'node', app], appEnv);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`payloads["${hash}"] was changed (its content no longer hashes to its key), and it is used by steps 1-50`);
    expect(refused.stderr).toContain('tracetape tape --sign <file>');

    const signed = await tracetape(['tape', '--sign', edited], env);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toContain('it was unsigned or modified');
    expect(parseTape(fs.readFileSync(edited, 'utf8'), edited).entries[49]!.request.normalized.body!.data).toContain('"role":"developer"');
    // Requests match on their recorded input hashes: the edited history replays as before.
    model.reset();
    const replayed = await tracetape(['replay', '--tape', edited, '--', 'node', app], appEnv);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toBe(recordedOutput);
    expect(model.count()).toBe(0);
  });
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, the call succeeded');
}
