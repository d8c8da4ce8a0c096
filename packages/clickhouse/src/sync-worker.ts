import { spawnSync } from 'node:child_process';

/**
 * Runs a worker script to completion with a JSON job on its stdin, for process 'exit' handlers
 * where nothing asynchronous runs any more. Returns why it failed, or undefined on success.
 */
export function runSyncWorker(script: string, job: unknown, timeoutMs: number, what: string): string | undefined {
  // The app's NODE_OPTIONS may --import tracetape's register hook; the worker must run bare.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, [script], {
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
