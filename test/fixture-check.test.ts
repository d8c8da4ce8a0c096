// Replay fixtures as canaries, end to end with the real CLI: the double refund of the support
// agent (a refund that timed out but was made, and a retry that refunds again) frozen into a
// fixture, its contract derived from the recording and tightened to one refund, the fixture
// failing on the agent as it is and passing with the idempotency-key fix; the three modes, JUnit
// output, and check runs stored and linked to their recording.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContract, serializeContract, type Contract } from '@tracetape/core';
import type { TraceSummary } from '@tracetape/clickhouse';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';
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
  llm = await startLlmServer();
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
