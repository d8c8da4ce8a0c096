// tracetape ui in a real browser: Debian's Chromium driven by playwright-core, against the real
// `tracetape ui` over a store recorded by the real CLI (the support agent on the openai SDK, a
// replay that diverged, and a run whose payloads are HTML meant to run).

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunDetail, RunListResponse, StepDetail } from '@tracetape/ui';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';
import { collectPageErrors, launchBrowser, type TestBrowser } from './support/browser.js';
import { recordedTraceId, REPO_ROOT, tempDir, tracetape } from './support/cli.js';
import { startUi, type UiProcess } from './support/ui-process.js';

const AGENT = path.join(REPO_ROOT, 'examples/support-agent/agent.mjs');
const XSS_PAYLOAD = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';

const scratch = tempDir('tracetape-ui-');
const env: Record<string, string> = { TRACETAPE_DIR: path.join(scratch.dir, 'store') };
let llm: { url: string; close(): Promise<void> };
let shop: { url: string; close(): Promise<void> };
let html: http.Server;
let ui: UiProcess;
let browser: TestBrowser;
const runs = { streamed: '', streamedAgain: '', plain: '', xss: '', replay: '' };

async function recordAgent(stream: boolean): Promise<string> {
  const result = await tracetape(['record', '--', 'node', AGENT], {
    ...env,
    OPENAI_BASE_URL: llm.url,
    SHOP_URL: shop.url,
    OTEL_SERVICE_NAME: 'support-agent',
    AGENT_STREAM: stream ? '1' : '0',
  });
  expect(result.code, result.stderr).toBe(0);
  return recordedTraceId(result.stderr);
}

beforeAll(async () => {
  // Every run looks the order up first, then refunds: five steps whose shape compare can align, with
  // wording and IDs still varying. (A random plan made two three-step runs one time in sixteen.)
  llm = await startLlmServer({ plan: 'lookup' });
  shop = await startShopService();
  // Answers HTML that would run if the viewer ever rendered a payload as markup.
  html = http.createServer((request, response) => {
    if (request.url === '/profile') response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: XSS_PAYLOAD }));
    else response.writeHead(200, { 'content-type': 'text/html' }).end(XSS_PAYLOAD);
  });
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  const htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;

  runs.streamed = await recordAgent(true);
  runs.streamedAgain = await recordAgent(true);
  runs.plain = await recordAgent(false);
  const xssApp = path.join(scratch.dir, 'xss-app.mjs');
  fs.writeFileSync(xssApp, `for (const p of ['/profile', '/page']) console.log((await (await fetch('${htmlUrl}' + p)).text()).length);\n`);
  const xss = await tracetape(['record', '--', 'node', xssApp], { ...env, OTEL_SERVICE_NAME: 'xss-app' });
  expect(xss.code, xss.stderr).toBe(0);
  runs.xss = recordedTraceId(xss.stderr);
  // The agent asks another model than recorded: the replay blocks that call and diverges.
  const replay = await tracetape(['replay', runs.streamed, '--', 'node', AGENT], { ...env, SHOP_URL: shop.url, AGENT_STREAM: '1', AGENT_MODEL: 'gpt-4.1' });
  expect(replay.code, replay.stderr).toBe(1);
  runs.replay = /replay stored as trace ([0-9a-f]{32})/.exec(replay.stderr)?.[1] ?? '';
  expect(runs.replay, replay.stderr).toMatch(/^[0-9a-f]{32}$/);

  ui = await startUi(env);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  await Promise.all([llm?.close(), shop?.close(), new Promise((resolve) => html?.close(resolve))]);
  scratch.remove();
});

/** The page waits on the store (opened, the recording log moved in) on its first answers. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

async function api<T>(pathname: string): Promise<T> {
  const response = await fetch(`${ui.origin}${pathname}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

async function open(pathname: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${ui.origin}${pathname}`);
  return { page, errors };
}

describe('tracetape ui in Chromium', () => {
  it('lists the runs, filters them by service, model and outcome, and opens one', async () => {
    const { page, errors } = await open('/');
    const rows = page.getByTestId('run-row');
    await poll(() => rows.count()).toBe(5);
    const diverged = page.locator(`[data-testid="run-row"][data-trace-id="${runs.replay}"]`);
    await poll(() => diverged.getAttribute('data-outcome')).toBe('diverged');

    await page.getByTestId('filter-service').selectOption('xss-app');
    await poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-trace-id')).toBe(runs.xss);
    await page.getByTestId('filter-service').selectOption('');
    await page.getByTestId('filter-attr').fill('gen_ai.request.model=gpt-4o-mini');
    await page.getByTestId('filter-attr').press('Enter');
    await poll(async () => (await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-trace-id')))).sort()).toEqual([runs.streamed, runs.streamedAgain, runs.plain].sort());
    await page.getByTestId('filter-attr').fill('');
    await page.getByTestId('filter-attr').press('Enter');
    await page.getByTestId('filter-status').selectOption('diverged');
    await poll(async () => rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-trace-id')))).toEqual([runs.replay]);
    // The filter is in the address: a filtered list is a link.
    expect(new URL(page.url()).searchParams.get('status')).toBe('diverged');

    await page.getByTestId('filter-status').selectOption('');
    await page.locator(`[data-testid="run-row"][data-trace-id="${runs.plain}"]`).click();
    await poll(() => new URL(page.url()).pathname).toMatch(new RegExp(`^/runs/${runs.plain}`));
    const { steps } = await api<RunDetail>(`/api/runs/${runs.plain}`);
    await poll(() => page.getByTestId('step-row').count()).toBe(steps.length);
    expect(errors).toEqual([]);
  });

  it('scrubs to a step with the keyboard and shows that step\'s request; r rewinds to before the side effect', async () => {
    const detail = await api<RunDetail>(`/api/runs/${runs.plain}`);
    const { page, errors } = await open(`/runs/${runs.plain}`);
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe('1');
    await page.getByTestId('waterfall').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe('3');
    expect(await page.getByTestId('request-url').textContent()).toContain(detail.steps[2]!.url);
    // The address follows once the selection rests.
    await poll(() => new URL(page.url()).pathname).toBe(`/runs/${runs.plain}/steps/3`);
    expect(await page.getByTestId('scrubber').inputValue()).toBe('3');

    const refund = detail.steps.find((step) => step.sideEffect)!;
    expect(refund.url).toMatch(/\/refunds$/);
    await page.keyboard.press('End');
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe(String(detail.steps.length));
    await page.keyboard.press('r');
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe(String(refund.step - 1));
    expect(await page.locator(`[data-testid="step-row"][data-step="${refund.step}"]`).getAttribute('data-side-effect')).toBe('true');
    expect(errors).toEqual([]);
  });

  it('opens an LLM step as a chat: the messages, the tools the model called with their arguments, and the finish reason', async () => {
    // The model plans differently every run: which turn calls which tool is read from the API.
    const { steps } = await api<RunDetail>(`/api/runs/${runs.streamed}`);
    const llmSteps = await Promise.all(steps.filter((step) => step.kind === 'llm').map((step) => api<StepDetail>(`/api/runs/${runs.streamed}/steps/${step.step}`)));
    const calling = llmSteps.find((detail) => detail.chat?.messages.at(-1)?.toolCalls?.length)!;
    const answer = calling.chat!.messages.at(-1)!;
    const { page, errors } = await open(`/runs/${runs.streamed}/steps/${calling.summary.step}`);
    await poll(() => page.getByTestId('chat').isVisible()).toBe(true);
    const roles = await page.getByTestId('chat-message').evaluateAll((els) => els.map((el) => el.getAttribute('data-role')));
    expect(roles).toEqual(calling.chat!.messages.map((message) => message.role));
    expect(roles.slice(0, 2)).toEqual(['system', 'user']);
    expect(await page.getByTestId('chat').textContent()).toContain('My order 1042 arrived broken');
    const shownCalls = await page.getByTestId('tool-call').allTextContents();
    for (const call of answer.toolCalls!) {
      expect(shownCalls.some((text) => text.includes(call.name) && text.includes(JSON.parse(call.arguments).order_id))).toBe(true);
    }
    expect(await page.getByTestId('finish-reason').textContent()).toContain('tool_calls');

    // The last turn answers the customer after the tools ran: their results are in the chat.
    const last = llmSteps.at(-1)!;
    await page.goto(`${ui.origin}/runs/${runs.streamed}/steps/${last.summary.step}`);
    await poll(() => page.getByTestId('chat-message').evaluateAll((els) => els.map((el) => el.getAttribute('data-role')))).toContain('tool');
    expect(await page.getByTestId('chat-message').last().getAttribute('data-role')).toBe('assistant');
    expect(await page.getByTestId('finish-reason').textContent()).toContain(last.chat!.finishReason!);
    expect(errors).toEqual([]);
  });

  it('shows a replay against its recording: each step\'s fate, and at the divergence the field diff', async () => {
    const { page, errors } = await open(`/runs/${runs.streamed}`);
    await page.locator(`[data-testid="replay-link"]`).first().click();
    await poll(() => new URL(page.url()).pathname).toBe(`/replays/${runs.replay}`);
    await poll(() => page.getByTestId('divergence').count()).toBeGreaterThan(0);
    const rows = page.getByTestId('diff-row');
    await poll(() => rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-path')))).toContain('body.model');
    const modelRow = page.locator('[data-testid="diff-row"][data-path="body.model"]').first();
    expect(await modelRow.textContent()).toContain('gpt-4o-mini');
    expect(await modelRow.textContent()).toContain('gpt-4.1');
    const outcomes = await page.getByTestId('replay-step').evaluateAll((els) => els.map((el) => el.getAttribute('data-outcome')));
    expect(outcomes.every((outcome) => outcome === 'unconsumed')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('compares two runs: steps aligned side by side, the first difference marked with its diff', async () => {
    const { page, errors } = await open('/');
    for (const traceId of [runs.streamed, runs.streamedAgain]) {
      await page.locator(`[data-testid="run-row"][data-trace-id="${traceId}"] [data-testid="run-select"]`).check();
    }
    await page.getByTestId('compare-button').click();
    await poll(() => new URL(page.url()).pathname).toBe('/compare');
    const rows = page.getByTestId('compare-row');
    await poll(() => rows.count()).toBeGreaterThan(3);
    const relations = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-relation')));
    // Both runs start with the same question to the model; the model answers differently every run.
    expect(relations[0]).toBe('same');
    const first = page.locator('[data-testid="compare-row"][data-first-difference="true"]');
    await poll(() => first.count()).toBe(1);
    expect(relations.indexOf(await first.getAttribute('data-relation'))).toBe(relations.findIndex((r) => r !== 'same'));
    // A changed pair's diff table is drawn beneath its row.
    if ((await first.getAttribute('data-relation')) === 'changed') expect(await page.getByTestId('diff-row').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('renders recorded HTML as text: nothing in a payload runs', async () => {
    for (const step of [1, 2]) {
      const { page, errors } = await open(`/runs/${runs.xss}/steps/${step}`);
      await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe(String(step));
      await poll(() => page.getByTestId('response-body').textContent()).toContain('<script>window.__xss = 1</script>');
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator('[data-testid="response-body"] script, [data-testid="response-body"] img').count()).toBe(0);
      expect(errors).toEqual([]);
    }
  });

  it('answers a step differently: the response to edit, and the exact replay command with --override', async () => {
    const { steps } = await api<RunDetail>(`/api/runs/${runs.plain}`);
    const refund = steps.find((step) => step.sideEffect)!;
    const { page, errors } = await open(`/runs/${runs.plain}/steps/${refund.step}`);
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe(String(refund.step));
    await page.getByTestId('override-button').click();
    const editor = page.getByTestId('override-editor');
    const envelope = JSON.parse(await editor.inputValue()) as { status: number; body: { status: string } };
    expect(envelope.status).toBe(refund.status);
    expect(envelope.body.status).toBe('issued');
    await editor.fill(JSON.stringify({ ...envelope, status: 502, body: { error: 'gateway' } }));
    const command = await page.getByTestId('override-command').textContent();
    expect(command).toContain(`tracetape replay ${runs.plain} --override ${refund.step}=step-${refund.step}.json --`);
    const download = page.waitForEvent('download');
    await page.getByTestId('override-download').click();
    const file = await (await download).path();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ status: 502, body: { error: 'gateway' } });
    expect(errors).toEqual([]);
  });

  it('opens a step straight from its URL', async () => {
    const { steps } = await api<RunDetail>(`/api/runs/${runs.plain}`);
    const { page, errors } = await open(`/runs/${runs.plain}/steps/2`);
    await poll(() => page.getByTestId('step-detail').getAttribute('data-step')).toBe('2');
    expect(await page.locator('[data-testid="step-row"][data-selected="true"]').getAttribute('data-step')).toBe('2');
    expect(await page.getByTestId('request-url').textContent()).toContain(steps[1]!.url);
    expect(errors).toEqual([]);
  });
});

describe('tracetape ui API and access', () => {
  it('answers a malformed or unknown trace ID, or a step past the end, with what to do', async () => {
    const bad = await fetch(`${ui.origin}/api/runs/not-a-trace`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('is not a trace ID');
    const unknown = await fetch(`${ui.origin}/api/runs/${'0'.repeat(31)}1`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('tracetape traces');
    const past = await fetch(`${ui.origin}/api/runs/${runs.plain}/steps/999`);
    expect(past.status).toBe(404);
    expect(((await past.json()) as { error: { message: string } }).error.message).toMatch(/has steps 1 to \d+/);
  });

  it('answers only requests that name a loopback host when it has no token', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${ui.origin}/api/runs`, { headers: { host: 'attacker.example' } }, resolve).once('error', reject),
    );
    response.resume();
    expect(response.statusCode).toBe(403);
    expect((await api<RunListResponse>('/api/runs')).runs.length).toBe(5);
  });

  it('beyond loopback, requires the token it prints, and warns', async () => {
    const open = await startUi(env, ['--host', '0.0.0.0']);
    try {
      const token = new URL(open.url).searchParams.get('token');
      expect(token).toMatch(/^[\w-]{20,}$/);
      await poll(() => open.stderr()).toContain('reachable beyond this machine');
      const origin = open.origin.replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${origin}/api/runs`)).status).toBe(401);
      expect((await fetch(`${origin}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      // The printed URL trades the token for a cookie and drops it from the address.
      const first = await fetch(`${origin}/?token=${token}`, { redirect: 'manual' });
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toBe('/');
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      expect((await fetch(`${origin}/api/runs`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('shows a tape file without a store', async () => {
    const file = path.join(scratch.dir, 'plain.tape.json');
    const written = await tracetape(['tape', runs.plain, '-o', file], env);
    expect(written.code, written.stderr).toBe(0);
    const fromTape = await startUi({ TRACETAPE_DIR: path.join(scratch.dir, 'no-store-here') }, ['--tape', file]);
    try {
      const list = (await (await fetch(`${fromTape.origin}/api/runs`)).json()) as RunListResponse;
      expect(list.runs.map((run) => run.traceId)).toEqual([runs.plain]);
      const detail = (await (await fetch(`${fromTape.origin}/api/runs/${runs.plain}`)).json()) as RunDetail;
      expect(detail.steps).toEqual((await api<RunDetail>(`/api/runs/${runs.plain}`)).steps);
    } finally {
      await fromTape.stop();
    }
  });
});
