// Writes the screenshots of tracetape ui that README shows (docs/ui/*.png): the support agent
// recorded twice, one replay made to diverge (it asks another model), the viewer over that store,
// and Debian's Chromium taking a picture of each main view.
//
//   node scripts/ui-screenshots.mjs        (after npm run build; needs scripts/install-browser.sh)

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startLlmServer } from '../examples/support-agent/llm-server.mjs';
import { startShopService } from '../examples/support-agent/shop-service.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/replay/dist/cli.js');
const out = path.join(root, 'docs/ui');
const store = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-screenshots-'));
const llm = await startLlmServer();
const shop = await startShopService();
const env = { ...process.env, TRACETAPE_DIR: store, OPENAI_BASE_URL: llm.url, SHOP_URL: shop.url, OTEL_SERVICE_NAME: 'support-agent', AGENT_STREAM: '1' };

// Asynchronous: the model and the shop answer from this very process.
function tracetape(args, extra = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, env: { ...env, ...extra } }, (error, _stdout, stderr) => resolve({ code: error?.code ?? 0, stderr }));
  });
}
const traceOf = (stderr) => /recorded trace ([0-9a-f]{32})/.exec(stderr)?.[1];

let ui;
let browser;
try {
  const first = traceOf((await tracetape(['record', '--', 'node', 'examples/support-agent/agent.mjs'])).stderr);
  const second = traceOf((await tracetape(['record', '--', 'node', 'examples/support-agent/agent.mjs'])).stderr);
  if (!first || !second) throw new Error('recording the agent failed');
  const replayed = await tracetape(['replay', first, '--', 'node', 'examples/support-agent/agent.mjs'], { AGENT_MODEL: 'gpt-4.1' });
  const replay = /replay stored as trace ([0-9a-f]{32})/.exec(replayed.stderr)?.[1];
  if (!replay) throw new Error(`the replay was not stored:\n${replayed.stderr}`);

  ui = spawn(process.execPath, [cli, 'ui', '--port', '0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((resolve, reject) => {
    let text = '';
    ui.stdout.on('data', (chunk) => {
      text += chunk;
      const url = /(http:\/\/\S+)/.exec(text)?.[1];
      if (url) resolve(new URL(url).origin);
    });
    ui.once('exit', (code) => reject(new Error(`tracetape ui exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.TRACETAPE_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const shoot = async (pathname, file, ready) => {
    await page.goto(`${origin}${pathname}`);
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(out, file) });
    console.log(`wrote docs/ui/${file}`);
  };
  const detail = await (await fetch(`${origin}/api/runs/${first}`)).json();
  const llmStep = detail.steps.filter((step) => step.kind === 'llm').at(1) ?? detail.steps[0];
  await shoot('/', 'runs.png', '[data-testid="run-row"]');
  await shoot(`/runs/${first}/steps/${llmStep.step}`, 'run-chat.png', `[data-testid="step-detail"][data-step="${llmStep.step}"] [data-testid="chat"]`);
  await shoot(`/replays/${replay}`, 'replay.png', '[data-testid="replay-step"]');
  await shoot(`/compare?a=${first}&b=${second}`, 'compare.png', '[data-testid="compare-row"]');
} finally {
  await browser?.close();
  ui?.kill('SIGTERM');
  await Promise.all([llm.close(), shop.close()]);
  fs.rmSync(store, { recursive: true, force: true });
}
