// Runs a command to completion and keeps its output: the scale benchmarks start the recorded
// agent, the replay CLI and the pinned exporter child this way.
import { spawn } from 'node:child_process';

/** Resolves with exit code, signal, stdout and stderr; rejects only if the command cannot start. */
export function runToEnd(command, args, { env, cwd, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    // A child that hangs (a store lock never released, a replay waiting on a socket) must not hang the benchmark.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The tail of a child's stderr, for an error message that says what went wrong. */
export function tail(text, lines = 15) {
  return text.trim().split('\n').slice(-lines).join('\n');
}
