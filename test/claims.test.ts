// Claims without actions, end to end with the real CLI and the real openai SDK: the support
// agent's model says "I've submitted your refund" without calling the refund tool, and the run is
// flagged; when the model does call it and the shop makes the refund, the claim is backed.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';
import { recordedTraceId, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { pollPage, uiInBrowser } from './support/ui-in-browser.js';

const AGENT = 'examples/support-agent/agent.mjs';
const CLAIMS = path.join(REPO_ROOT, 'examples/support-agent/tracetape.claims.json');
const scratch = tempDir('tracetape-claims-');
const servers: Array<{ close(): Promise<void> }> = [];
let env: Record<string, string>;
let claimOnly = '';
let refunded = '';

async function recordRun(plan: 'claim-only' | 'refund'): Promise<{ traceId: string; refunds: number }> {
  const llm = await startLlmServer({ plan });
  const shop = await startShopService();
  servers.push(llm, shop);
  const recorded = await tracetape(['record', '--', 'node', AGENT], { ...env, OPENAI_BASE_URL: llm.url, SHOP_URL: shop.url });
  expect(recorded.code, recorded.stderr).toBe(0);
  return { traceId: recordedTraceId(recorded.stderr), refunds: shop.refunds.length };
}

beforeAll(async () => {
  env = { TRACETAPE_DIR: path.join(scratch.dir, 'store'), OTEL_SERVICE_NAME: 'support-agent' };
  const said = await recordRun('claim-only');
  expect(said.refunds).toBe(0); // the customer was told, and nothing was done
  claimOnly = said.traceId;
  const done = await recordRun('refund');
  expect(done.refunds).toBe(1);
  refunded = done.traceId;
}, 90_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  scratch.remove();
});

const findingsOf = (stdout: string) => stdout.slice(stdout.indexOf('Findings'));

describe('tracetape tape --claims', () => {
  it('flags an answer that claims the refund when no refund call was made, saying what it matched and why', async () => {
    const shown = await tracetape(['tape', claimOnly, '--claims', CLAIMS], env);
    expect(shown.code, shown.stderr).toBe(0);
    const findings = findingsOf(shown.stdout);
    expect(findings).toMatch(/CLAIM WITHOUT ACTION \(refund\): the answer says "(submitted your refund|has been issued)" but the run made no POST \*\/refunds/);
    expect(findings).toMatch(/Said at step 1: ".*(submitted your refund|has been issued).*"/);
    expect(findings).toContain(`heuristic: phrases of ${CLAIMS}`);
  });

  it('does not flag the answer when the run made the refund call', async () => {
    const shown = await tracetape(['tape', refunded, '--claims', CLAIMS], env);
    expect(shown.code, shown.stderr).toBe(0);
    const findings = findingsOf(shown.stdout);
    expect(findings).toMatch(/claim backed \(refund\): .*step \d+/);
    expect(findings).not.toContain('CLAIM WITHOUT ACTION');
  });

  it('reads TRACETAPE_CLAIMS, says so when no claims file is configured, and refuses a broken one', async () => {
    const fromEnv = await tracetape(['tape', claimOnly], { ...env, TRACETAPE_CLAIMS: CLAIMS });
    expect(findingsOf(fromEnv.stdout)).toContain('CLAIM WITHOUT ACTION');
    const none = await tracetape(['tape', claimOnly], env);
    expect(findingsOf(none.stdout)).toContain('claims not checked: no claims file');
    const broken = path.join(scratch.dir, 'broken.claims.json');
    await import('node:fs').then((fs) => fs.writeFileSync(broken, JSON.stringify({ format: 'tracetape.claims', version: 1, claims: [{ name: 'refund', phrases: ['refunded'], expect: [{ methd: 'POST' }] }] })));
    const refused = await tracetape(['tape', claimOnly, '--claims', broken], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(broken);
    expect(refused.stderr).toMatch(/methd.*did you mean "method"/);
  });
});

describe('tracetape ui --claims', () => {
  const ui = uiInBrowser(() => env, ['--claims', CLAIMS]);

  it('shows the claim without action on the run page, with the answer quoted and the file named, and the backed one as backed', async () => {
    const { page, errors } = await ui.open(`/runs/${claimOnly}`);
    const unbacked = page.getByTestId('finding-claim-unbacked');
    await pollPage(() => unbacked.count()).toBe(1);
    const text = (await unbacked.textContent())!;
    expect(text).toMatch(/claim without action.*the run made no POST \*\/refunds/);
    expect(text).toMatch(/(submitted your refund|has been issued)/);
    expect(text).toContain(`heuristic, phrases of ${CLAIMS}`);

    await page.goto(`${ui.origin}/runs/${refunded}`);
    await pollPage(() => page.getByTestId('finding-claim-backed').count()).toBe(1);
    expect(await page.getByTestId('finding-claim-unbacked').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
