// The browser the UI tests drive (test/support/browser.ts): Debian's Chromium through
// playwright-core opens a page from a loopback server, clicks, and sees the page change; the page's
// errors are collected; close() leaves nothing behind; a missing binary fails with the install command.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collectPageErrors, launchBrowser, type TestBrowser } from './support/browser.js';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>browser support</title><link rel="icon" href="data:,"></head>
<body>
  <p id="status">not clicked</p>
  <button id="go">Click</button>
  <button id="fail">Fail</button>
  <script>
    document.getElementById('go').addEventListener('click', () => {
      document.getElementById('status').textContent = 'clicked at ' + location.pathname;
    });
    document.getElementById('fail').addEventListener('click', () => {
      console.error('logged on purpose');
      throw new Error('thrown on purpose');
    });
  </script>
</body></html>`;

describe('launchBrowser()', () => {
  let server: http.Server;
  let base: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/page') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(PAGE);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('opens a page from a loopback server, clicks a button, and sees the text change', async () => {
    expect(browser.isConnected()).toBe(true);
    expect(browser.dir).toMatch(/\/tracetape-browser-[^/]+$/);
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/page`);
    expect(await page.textContent('#status')).toBe('not clicked');
    await page.click('#go');
    await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'not clicked');
    expect(await page.textContent('#status')).toBe('clicked at /page');
    expect(errors).toEqual([]);
    await page.close();
  });

  test("collects the page's console errors and uncaught exceptions", async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${base}/page`);
    await page.click('#fail');
    await expect.poll(() => errors.length).toBe(2);
    expect(errors[0]).toMatch(/^console\.error: logged on purpose \(http:\/\/127\.0\.0\.1:\d+\/page:\d+\)$/);
    expect(errors[1]).toBe('pageerror: thrown on purpose');
    await page.close();
  });

  test('close() ends the browser and removes its directory', async () => {
    const other = await launchBrowser();
    expect(fs.existsSync(other.dir)).toBe(true);
    await other.close();
    expect(other.isConnected()).toBe(false);
    expect(fs.existsSync(other.dir)).toBe(false);
  });
});

test('a missing Chromium fails with the command that installs it', async () => {
  const saved = process.env.TRACETAPE_CHROMIUM;
  process.env.TRACETAPE_CHROMIUM = '/nonexistent/chromium';
  try {
    await expect(launchBrowser()).rejects.toThrow(/TRACETAPE_CHROMIUM is \/nonexistent\/chromium.*sudo scripts\/install-browser\.sh/);
  } finally {
    if (saved === undefined) delete process.env.TRACETAPE_CHROMIUM;
    else process.env.TRACETAPE_CHROMIUM = saved;
  }
});
