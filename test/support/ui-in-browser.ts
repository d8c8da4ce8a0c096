import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { collectPageErrors, launchBrowser, type TestBrowser } from './browser.js';
import { startUi, type UiProcess } from './ui-process.js';

export interface UiInBrowser {
  /** scheme://host:port of the running `tracetape ui`. */
  readonly origin: string;
  /** A new page at `pathname`, and the errors it raises from now on. */
  open(pathname: string): Promise<{ page: Page; errors: string[] }>;
}

/**
 * Starts `tracetape ui` (the real CLI) and Debian's Chromium for the enclosing describe, and stops
 * both after it. `env` is read when the describe starts, so it may be set by an outer beforeAll.
 */
export function uiInBrowser(env: () => Record<string, string>, args: string[] = []): UiInBrowser {
  let ui: UiProcess | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    ui = await startUi(env(), args);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });
  return {
    get origin() {
      return ui!.origin;
    },
    async open(pathname) {
      const page = await browser!.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${ui!.origin}${pathname}`);
      return { page, errors };
    },
  };
}

/** Polls what the page shows: the first answers wait on the store being opened. */
export const pollPage = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });
