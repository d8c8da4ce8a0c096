// `tracetape ui` as a user starts it: the real CLI in a child process, on a free loopback port.
// startUi() resolves with the URL it printed; stop() sends SIGTERM (Ctrl-C's way out) and waits.

import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, REPO_ROOT } from './cli.js';

export interface UiProcess {
  /** The URL the CLI printed, token included when it has one. */
  url: string;
  /** scheme://host:port */
  origin: string;
  /** What the CLI wrote on stderr so far (warnings). */
  stderr(): string;
  stop(): Promise<number | null>;
}

export function startUi(env: Record<string, string | undefined>, args: string[] = []): Promise<UiProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'ui', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`tracetape ui exited (${code}) before printing its URL:\n${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /(http:\/\/\S+)/.exec(stdout)?.[1];
      if (!url) return;
      resolve({
        url,
        origin: new URL(url).origin,
        stderr: () => stderr,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
