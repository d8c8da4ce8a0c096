// What both demos share: running a command to its end, and printing stages and transcripts.

import { spawn } from 'node:child_process';

export const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
export const indent = (text, prefix = '    ') => text.replace(/\n$/, '').replace(/^/gm, prefix);

/** Runs `args` in `cwd` with `env`; resolves with its exit code and output, killing it after `timeoutMs`. */
export function run(args, env, { cwd, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    // A hung child must not hang the demo (e.g. a store lock held by another process).
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Where two transcripts first differ, for the verdict of a replay that did not match. */
export function firstDifference(a, b) {
  const left = a.split('\n');
  const right = b.split('\n');
  const i = left.findIndex((line, k) => line !== right[k]);
  const at = i === -1 ? left.length : i;
  return `line ${at + 1}:\n    recorded: ${JSON.stringify(left[at] ?? '<end>')}\n    replayed: ${JSON.stringify(right[at] ?? '<end>')}`;
}

/** TRACETAPE_* settings the user has (a server URL, a mode) would change what a demo does: it sets its own. */
export function demoEnvironment(extra) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRACETAPE_')));
  return { ...inherited, ...extra };
}
