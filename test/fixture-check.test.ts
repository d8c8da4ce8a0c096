// Replay fixtures as canaries, end to end with the real CLI: the double refund of the support
// agent (a refund that timed out but was made, and a retry that refunds again) frozen into a
// fixture, its contract derived from the recording and tightened to one refund, the fixture
// failing on the agent as it is and passing with the idempotency-key fix; the three modes, JUnit
// output, and check runs stored and linked to their recording.

import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContract, serializeContract, type Contract } from '@tracetape/core';
import type { TraceSummary } from '@tracetape/clickhouse';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';
import { replayTapeCommand } from '@tracetape/replay/testing';
import { recordedTraceId, REPO_ROOT, tempDir, tracetape } from './support/cli.js';

const AGENT = 'examples/support-agent/agent.mjs';
const scratch = tempDir('tracetape-fixture-check-');
const fixtures = path.join(scratch.dir, 'fixtures');
let llm: { url: string; close(): Promise<void> };
let shop: { url: string; refunds: unknown[]; requestCount(): number; close(): Promise<void> };
let env: Record<string, string>;
let traceId: string;
let contractFile: string;

beforeAll(async () => {
  // The first turn looks the order up (a GET the live-read mode can send for real).
  llm = await startLlmServer({ plan: 'lookup' });
  // The first refund is made at once and answered after 1.5 s; the agent gives up after 0.5 s.
  shop = await startShopService({ slowFirstRefundMs: 1500 });
  env = {
    TRACETAPE_DIR: path.join(scratch.dir, 'store'),
    OPENAI_BASE_URL: llm.url,
    SHOP_URL: shop.url,
    OTEL_SERVICE_NAME: 'support-agent',
    AGENT_SHOP_TIMEOUT_MS: '500',
  };
  const recorded = await tracetape(['record', '--', 'node', AGENT], env);
  expect(recorded.code, recorded.stderr).toBe(0);
  expect(recorded.stdout).toContain('refund timed out after 500 ms; trying once more');
  traceId = recordedTraceId(recorded.stderr);
  // The bug, in production: the customer was refunded twice.
  expect(shop.refunds).toHaveLength(2);
}, 60_000);

afterAll(async () => {
  await Promise.all([llm?.close(), shop?.close()]);
  scratch.remove();
});

const readContract = () => parseContract(fs.readFileSync(contractFile, 'utf8'), contractFile);
const writeContract = (contract: Contract) => fs.writeFileSync(contractFile, serializeContract(contract));

describe('a fixture with its contract', () => {
  it('derives the contract from the recording: the two refunds it made allowed, anything else forbidden', async () => {
    const written = await tracetape(['fixture', traceId, '-o', fixtures, '--', 'node', AGENT], env);
    expect(written.code, written.stderr).toBe(0);
    const [name] = fs.readdirSync(fixtures).filter((file) => file.endsWith('.contract.json'));
    contractFile = path.join(fixtures, name!);
    const contract = readContract();
    expect(contract.command).toEqual(['node', AGENT]);
    expect(fs.existsSync(path.join(fixtures, contract.tape))).toBe(true);
    expect(contract.expect.exitCode).toBe(0);
    expect(contract.expect.sideEffects).toEqual({ allowed: [{ door: 'http', method: 'POST', url: '*/refunds', max: 2 }], forbidden: [], others: 'forbid' });
    // Written again, an edited contract is kept.
    writeContract({ ...contract, interval: '12h' });
    const again = await tracetape(['fixture', traceId, '-o', fixtures, '--', 'node', AGENT], env);
    expect(again.stderr).toContain('kept the contract');
    expect(readContract().interval).toBe('12h');
  });

  it('fails on the agent as it is once the contract allows one refund, and passes with the idempotency-key fix', async () => {
    const contract = readContract();
    contract.expect.sideEffects!.allowed![0]!.max = 1;
    contract.expect.outputs = [{ from: 'stdout', contains: ['refund'] }];
    writeContract(contract);
    const refundsBefore = shop.refunds.length;

    const broken = await tracetape(['check', contractFile], env);
    expect(broken.code, broken.stdout + broken.stderr).toBe(1);
    expect(broken.stdout).toMatch(/^FAIL /m);
    expect(broken.stdout).toMatch(/POST \*\/refunds at most once: 2 distinct effects: step \d+ .*; step \d+ /);

    const fixed = await tracetape(['check', contractFile], { ...env, AGENT_IDEMPOTENCY_KEYS: '1' });
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^PASS /m);

    const proof = await tracetape(
      ['check', '--prove', contractFile, '--broken', `node ${AGENT}`, '--fixed', `AGENT_IDEMPOTENCY_KEYS=1 node ${AGENT}`],
      env,
    );
    expect(proof.code, proof.stdout + proof.stderr).toBe(0);
    expect(proof.stdout).toContain('PROVEN');
    // Checks replay: the shop, still listening, was never asked for a refund again.
    expect(shop.refunds.length).toBe(refundsBefore);
  }, 120_000);
});

/** A second contract beside the first, on the same tape: another command, or another mode's needs. */
function variant(name: string, change: (contract: Contract) => void): string {
  const contract = readContract();
  contract.fixture = name;
  change(contract);
  const file = path.join(fixtures, `${name}.contract.json`);
  fs.writeFileSync(file, serializeContract(contract));
  return file;
}

describe('tracetape check', () => {
  it('cassette passes a run that asked for less than was recorded; strict fails it, naming the steps never asked for', async () => {
    const idle = variant('idle', (contract) => {
      contract.command = ['node', '-e', 'console.log("nothing to do")'];
      contract.expect.outputs = [];
    });
    const cassette = await tracetape(['check', idle], env);
    expect(cassette.code, cassette.stdout).toBe(0);
    const strict = await tracetape(['check', idle, '--mode', 'strict'], env);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^FAIL idle .*strict/m);
    expect(strict.stdout).toMatch(/never asked for: step 1 \(POST .*\/v1\/chat\/completions\)/);
  }, 60_000);

  it('live-read sends the reads to a safe host for real, and keeps every write on the tape', async () => {
    const host = new URL(shop.url).host;
    const liveRead = variant('live-read', (contract) => {
      contract.safeHosts = [host];
    });
    const before = { requests: shop.requestCount(), refunds: shop.refunds.length };
    const cassette = await tracetape(['check', liveRead], { ...env, AGENT_IDEMPOTENCY_KEYS: '1' });
    expect(cassette.code, cassette.stdout).toBe(0);
    expect(shop.requestCount()).toBe(before.requests);
    const live = await tracetape(['check', liveRead, '--mode', 'live-read'], { ...env, AGENT_IDEMPOTENCY_KEYS: '1' });
    expect(live.code, live.stdout + live.stderr).toBe(0);
    // The order lookup (GET) reached the shop; the refunds (POST) did not.
    expect(shop.requestCount()).toBe(before.requests + 1);
    expect(shop.refunds.length).toBe(before.refunds);
  }, 60_000);

  it('writes JUnit XML that parses back: a failure with its reason, a pass', async () => {
    const junit = path.join(scratch.dir, 'junit.xml');
    const result = await tracetape(['check', contractFile, path.join(fixtures, 'idle.contract.json'), '--junit', junit], env);
    expect(result.code).toBe(1);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(fs.readFileSync(junit, 'utf8')) as {
      testsuite: { tests: string; failures: string; errors: string; testcase: Array<{ name: string; failure?: { message: string; '#text': string } }> };
    };
    expect(parsed.testsuite).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    const [failed, passed] = parsed.testsuite.testcase;
    expect(failed!.name).toBe(`${readContract().fixture} (cassette)`);
    expect(failed!.failure!.message).toMatch(/POST \*\/refunds at most once: 2 distinct effects/);
    expect(passed).toMatchObject({ name: 'idle (cassette)' });
    expect(passed!.failure).toBeUndefined();
  }, 60_000);

  it('stores every check as a run of its fixture, linked to the recording, with its verdict', async () => {
    const traces = await tracetape(['traces', '--json', '--limit', '100'], env);
    expect(traces.code, traces.stderr).toBe(0);
    const runs = traces.stdout.trim().split('\n').map((line) => JSON.parse(line) as TraceSummary);
    const checks = runs.filter((run) => run.name.startsWith('tracetape check '));
    expect(checks.length).toBeGreaterThanOrEqual(6);
    expect(checks.every((run) => run.runType === 'replay' && run.replayOf === traceId)).toBe(true);
    const verdicts = await tracetape(
      [
        'query',
        `SELECT SpanAttributes['tracetape.fixture.id'] AS fixture, SpanAttributes['tracetape.check.verdict'] AS verdict, SpanAttributes['tracetape.check.mode'] AS mode, ` +
          `Links.TraceId[1] AS linked FROM otel_traces WHERE SpanName = 'tracetape check idle' ORDER BY Timestamp`,
        '--format',
        'json',
      ],
      env,
    );
    expect(verdicts.code, verdicts.stderr).toBe(0);
    const rows = verdicts.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows.slice(0, 2)).toEqual([
      { fixture: 'idle', verdict: 'pass', mode: 'cassette', linked: traceId },
      { fixture: 'idle', verdict: 'fail', mode: 'strict', linked: traceId },
    ]);
  }, 60_000);
});

describe('the same fixture in a test suite', () => {
  it('replayTapeCommand() with the contract judges as tracetape check does', async () => {
    const contract = readContract();
    const tape = path.join(fixtures, contract.tape);
    const command = ['node', AGENT];
    await expect(replayTapeCommand(tape, command, { contract: contractFile, env, cwd: REPO_ROOT })).rejects.toThrow(
      /contract .*: FAIL.*POST \*\/refunds at most once: 2 distinct effects/s,
    );
    const fixed = await replayTapeCommand(tape, command, { contract: contractFile, env: { ...env, AGENT_IDEMPOTENCY_KEYS: '1' }, cwd: REPO_ROOT });
    expect(fixed.judgement?.verdict).toBe('pass');
    expect(fixed.judgement?.clauses.find((clause) => clause.kind === 'allowed-side-effect')?.passed).toBe(true);
  }, 60_000);
});
