// Repeated side effects, end to end with the real CLI: the support agent's refund times out in the
// app while the shop has already made it, and the agent tries again. Without an idempotency key the
// customer is refunded twice and the run is flagged; with the fix (the same Idempotency-Key on both
// attempts) the shop makes it once and the retry is reported as safely retried, not flagged.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceSummary } from '@tracetape/clickhouse';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';
import { recordedTraceId, tempDir, tracetape } from './support/cli.js';
import { pollPage, uiInBrowser } from './support/ui-in-browser.js';

const AGENT = 'examples/support-agent/agent.mjs';
const scratch = tempDir('tracetape-repeated-');
let llm: { url: string; close(): Promise<void> };
const shops: Array<{ url: string; refunds: unknown[]; close(): Promise<void> }> = [];
let env: Record<string, string>;
let doubled = '';
let keyed = '';

/** One agent run against a fresh shop whose first refund is made at once but answered after 1.5 s. */
async function recordRun(extra: Record<string, string>): Promise<{ traceId: string; refunds: number }> {
  const shop = await startShopService({ slowFirstRefundMs: 1500 });
  shops.push(shop);
  const recorded = await tracetape(['record', '--', 'node', AGENT], { ...env, SHOP_URL: shop.url, ...extra });
  expect(recorded.code, recorded.stderr).toBe(0);
  expect(recorded.stdout).toContain('refund timed out after 500 ms; trying once more');
  return { traceId: recordedTraceId(recorded.stderr), refunds: shop.refunds.length };
}

beforeAll(async () => {
  llm = await startLlmServer({ plan: 'refund' });
  env = { TRACETAPE_DIR: path.join(scratch.dir, 'store'), OPENAI_BASE_URL: llm.url, OTEL_SERVICE_NAME: 'support-agent', AGENT_SHOP_TIMEOUT_MS: '500' };
  const broken = await recordRun({});
  expect(broken.refunds).toBe(2); // the bug: refunded twice
  doubled = broken.traceId;
  const fixed = await recordRun({ AGENT_IDEMPOTENCY_KEYS: '1' });
  expect(fixed.refunds).toBe(1); // the fix: the shop saw the same key twice and refunded once
  keyed = fixed.traceId;
}, 90_000);

afterAll(async () => {
  await Promise.all([llm?.close(), ...shops.map((shop) => shop.close())]);
  scratch.remove();
});

describe('tracetape tape', () => {
  it('flags the refund repeated after a timeout, with the two steps and the time between them', async () => {
    const shown = await tracetape(['tape', doubled], env);
    expect(shown.code, shown.stderr).toBe(0);
    const findings = shown.stdout.slice(shown.stdout.indexOf('Findings'));
    const match = /REPEATED SIDE EFFECT: step (\d+) repeats step (\d+) \(POST http:\/\/127\.0\.0\.1:\d+\/refunds\) (\d+(?:\.\d+)? m?s) later, after step \2 failed in the app \(timed out/.exec(findings);
    expect(match, findings).not.toBeNull();
    const [first, repeat] = [Number(match![2]), Number(match![1])];
    expect(repeat).toBeGreaterThan(first);
    // The steps named are the refunds on the timeline.
    const timeline = shown.stdout.split('\n');
    for (const step of [first, repeat]) expect(timeline.find((line) => line.startsWith(`${step} `))).toMatch(/POST\s+http:\/\/127\.0\.0\.1:\d+\/refunds/);
    expect(findings).not.toContain('safely retried');
  });

  it('reports the retry with the same Idempotency-Key as safely retried, and does not flag it', async () => {
    const shown = await tracetape(['tape', keyed], env);
    expect(shown.code, shown.stderr).toBe(0);
    const findings = shown.stdout.slice(shown.stdout.indexOf('Findings'));
    expect(findings).toMatch(/safely retried: step \d+ repeats step \d+ \(POST http:\/\/127\.0\.0\.1:\d+\/refunds\) .* with the same Idempotency-Key "refund-/);
    expect(findings).not.toContain('REPEATED SIDE EFFECT');
  });
});

describe('tracetape traces', () => {
  it('--flag repeated-side-effect lists the double refund and not the safe retry', async () => {
    const listed = await tracetape(['traces', '--flag', 'repeated-side-effect', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as TraceSummary);
    expect(runs.map((run) => [run.traceId, run.repeatedSideEffects])).toEqual([[doubled, 1]]);
  });

  it('marks the flagged run in the plain listing, and refuses an unknown flag', async () => {
    const listed = await tracetape(['traces'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${doubled}: REPEATED SIDE EFFECT, did a side effect again`);
    expect(listed.stdout).not.toContain(`${keyed}: REPEATED`);
    const unknown = await tracetape(['traces', '--flag', 'double'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--flag must be one of repeated-side-effect, not "double"');
  });
});

describe('tracetape ui', () => {
  const ui = uiInBrowser(() => env);

  it('marks the double refund in the runs list, and its page names the two steps as links', async () => {
    const { page, errors } = await ui.open('/');
    const row = (traceId: string) => page.locator(`[data-testid="run-row"][data-trace-id="${traceId}"]`);
    await pollPage(() => row(doubled).getByTestId('repeated-badge').count()).toBe(1);
    expect(await row(keyed).getByTestId('repeated-badge').count()).toBe(0);

    await page.goto(`${ui.origin}/runs/${doubled}`);
    const finding = page.getByTestId('finding-repeated');
    await pollPage(() => finding.count()).toBe(1);
    expect(await finding.textContent()).toMatch(/repeated side effect\s*step \d+ repeats step \d+ POST http:\/\/127\.0\.0\.1:\d+\/refunds .* later, after step \d+ failed in the app \(timed out/);
    const [repeatLink, firstLink] = await finding.getByTestId('finding-step').all();
    const firstStep = Number((await firstLink!.textContent())!.replace('step ', ''));
    await firstLink!.click();
    await pollPage(() => page.getByTestId('scrubber').inputValue()).toBe(String(firstStep));
    expect(await repeatLink!.getAttribute('href')).toMatch(new RegExp(`/runs/${doubled}/steps/\\d+$`));

    await page.goto(`${ui.origin}/runs/${keyed}`);
    await pollPage(() => page.getByTestId('finding-safely-retried').count()).toBe(1);
    expect(await page.getByTestId('finding-repeated').count()).toBe(0);
    expect(await page.getByTestId('finding-safely-retried').textContent()).toContain('with the same Idempotency-Key "refund-');
    expect(errors).toEqual([]);
    await page.close();
  });
});
