import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The worker's compiled `.js` next to the caller, or its `.ts` source when the caller runs from src (tests). */
function scriptPath(script: URL): string {
  const path = fileURLToPath(script);
  return existsSync(path) || !path.endsWith('.js') ? path : path.replace(/\.js$/, '.ts');
}

/**
 * Runs a worker script to completion with a JSON job on its stdin, for process 'exit' handlers
 * where nothing asynchronous runs any more. Returns why it failed, or undefined on success.
 */
export function runSyncWorker(script: URL, job: unknown, timeoutMs: number, what: string): string | undefined {
  // The app's NODE_OPTIONS may --import tracetape's register hook; the worker must run bare.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, [scriptPath(script)], {
    input: JSON.stringify(job),
    env,
    timeout: timeoutMs,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  if (!child.error && child.status === 0) return undefined;
  if (child.error) return child.error.message;
  if (child.signal) return `the ${what} did not finish within ${timeoutMs} ms`;
  return child.stderr.trim() || `the ${what} process exited with code ${child.status}`;
}
