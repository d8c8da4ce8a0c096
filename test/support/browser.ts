// A real browser for tests: Debian's Chromium (scripts/install-browser.sh), driven by
// playwright-core, which never downloads a browser of its own. launchBrowser() starts it headless,
// offline-minded (no background networking, component updates, sync or QUIC), with a fresh profile
// in a directory under the temp dir named tracetape-browser-*, which close() removes.
//
// A missing Chromium fails the test with the command that installs it: browser tests never skip.
//
// collectPageErrors(page) gathers what the page reported as broken (console errors, uncaught
// exceptions, a crash), so a test can end with expect(errors).toEqual([]).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const INSTALL_COMMAND = 'sudo scripts/install-browser.sh';
/** Debian's Chromium; the environment variable TRACETAPE_CHROMIUM names another binary. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  /** How long Chromium may take to start before launchBrowser() fails (default 30 s). */
  startTimeoutMs?: number;
}

export interface TestBrowser extends Browser {
  /** The browser's directory (its profile): removed by close(), or when the browser goes away. */
  readonly dir: string;
  /** The Chromium binary it runs. */
  readonly executablePath: string;
}

/** The Chromium binary the tests run: TRACETAPE_CHROMIUM, else /usr/bin/chromium. Throws, naming the install command, when it is not there. */
export function chromiumPath(): string {
  const fromEnv = process.env.TRACETAPE_CHROMIUM;
  const file = fromEnv || DEFAULT_CHROMIUM;
  if (isExecutable(file)) return file;
  throw new Error(
    fromEnv
      ? `TRACETAPE_CHROMIUM is ${fromEnv}, which is no executable file. Point it at a Chromium binary, or unset it and run ${INSTALL_COMMAND}`
      : `Chromium is not installed (no ${DEFAULT_CHROMIUM}). The browser tests drive Debian's Chromium through playwright-core, which downloads no browser: run ${INSTALL_COMMAND}`,
  );
}

/**
 * Chromium, headless, with a fresh profile under the temp dir. Open pages with
 * `browser.newPage()` (each in a context of its own); `browser.close()` ends the browser and
 * removes its directory.
 *
 * playwright-core's launch() would put the profile in a playwright_* directory of its own, so the
 * browser is launched as a persistent context on the tracetape-browser-* directory instead; its
 * Browser is what this returns, and newContext()/newPage() on it work as on any other.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-browser-'));
  // Chromium's helper processes may still be writing into the profile as the browser goes away:
  // retried, as rm -rf would be, and never thrown from an event handler.
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  const removeQuietly = (): void => {
    try {
      remove();
    } catch {
      // close() removes it again and says so if it still cannot.
    }
  };
  let browser: Browser | null;
  try {
    const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      // Traces, downloads and the like: in the same directory, not in a playwright-artifacts-* one.
      artifactsDir: path.join(dir, 'artifacts'),
      timeout: options.startTimeoutMs ?? 30_000,
    });
    browser = context.browser();
    if (!browser) {
      await context.close();
      throw new Error('playwright-core launched Chromium but gave no Browser for its persistent context');
    }
  } catch (error) {
    remove();
    throw new Error(`Chromium (${executablePath}) did not start: ${(error as Error).message}`, { cause: error });
  }

  // A browser that crashes or is killed goes away too: its directory with it.
  browser.once('disconnected', removeQuietly);
  const close = browser.close.bind(browser);
  return Object.assign(browser, {
    dir,
    executablePath,
    async close(closeOptions?: Parameters<Browser['close']>[0]): Promise<void> {
      try {
        await close(closeOptions);
      } finally {
        remove();
      }
    },
  });
}

/**
 * What the page reports as broken, from now on, one line each: `console.error: <text> (<url>:<line>)`
 * for console errors (failed resource loads included), `pageerror: <message>` for uncaught
 * exceptions and unhandled rejections, `crash` when the page's process dies. A live list: assert
 * `expect(errors).toEqual([])` at the end of the test. (Chromium asks for /favicon.ico unless the
 * page names an icon: a 404 there is a console error too.)
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    errors.push(`console.error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('crash', () => errors.push('crash'));
  return errors;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
