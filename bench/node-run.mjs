// One node child run to its end (a client, a recorded script, a replay), with its output and wall
// time. Bounded by a time limit so a hung child ends the figure instead of the whole suite.
import { spawn } from 'node:child_process';

const live = new Set();

/** Kills every child still running; the entry point calls it on any way out. */
export function killRunningChildren() {
  for (const child of live) child.kill('SIGKILL');
}

/**
 * Runs `node ...args` and resolves when it exits with { code, signal, stdout, stderr, wallMs };
 * wallMs is from spawn to exit, so it includes Node's start-up and any exit-time flush; startedEpochMs
 * is when it was spawned, on the clock the child reads as performance.timeOrigin + performance.now().
 */
export function runNode(args, env, { timeoutMs = 120_000, name = args.at(-1) } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within ${timeoutMs / 1000} s\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started, startedEpochMs: performance.timeOrigin + started });
    });
  });
}
