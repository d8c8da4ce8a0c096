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
  return runSyncWorkerWithOutput(script, job, timeoutMs, what).failure;
}

/** What a synchronous worker said: its stdout, and why it failed when it did. */
export interface SyncWorkerOutcome {
  failure?: string;
  stdout: string;
}

/** runSyncWorker for workers that answer on stdout (a report of what they did), failed or not. */
export function runSyncWorkerWithOutput(script: URL, job: unknown, timeoutMs: number, what: string): SyncWorkerOutcome {
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
  const stdout = child.stdout ?? '';
  if (!child.error && child.status === 0) return { stdout };
  // Killed at the timeout: spawnSync reports it as an ETIMEDOUT error with the signal set.
  if (child.signal || (child.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') return { failure: `the ${what} did not finish within ${timeoutMs} ms`, stdout };
  if (child.error) return { failure: child.error.message, stdout };
  return { failure: child.stderr.trim() || `the ${what} process exited with code ${child.status}`, stdout };
}
