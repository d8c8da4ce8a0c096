// Starting and stopping one child process that prints "listening <port>" when it is ready, with
// the /proc readings the report needs (CPU time, peak RSS). Linux /proc is optional: elsewhere
// those columns are just empty.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set();
// Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream distribution.
const TICK_MS = 10;

function threadCpuMs(statPath) {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the parenthesised thread name (which may contain spaces); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Every child still running, so the entry point can end them on any way out. */
export function liveChildren() {
  return [...live];
}

export class ServiceProcess {
  constructor(name, args, env) {
    this.name = name;
    this.stderr = '';
    this.child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text) => (this.stderr += text));
  }

  get pid() {
    return this.child.pid;
  }

  /** Resolves with the port once the child says it listens; rejects if it dies or stalls first. */
  ready(timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start within ${timeoutMs} ms\n${this.stderr}`)), timeoutMs);
      this.child.stdout.setEncoding('utf8');
      this.child.stdout.on('data', (text) => {
        out += text;
        const match = /listening (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${signal ?? code}) before listening\n${this.stderr}`));
      });
    });
  }

  /**
   * User + system CPU time of the child so far, in ms: all threads, and the main (JavaScript)
   * thread alone; the rest is GC helpers, libuv's pool and, for tracetape, chDB's own threads.
   * Undefined without /proc.
   */
  cpuMs() {
    try {
      // The process-wide figure includes threads that have already exited (chDB starts
      // short-lived query threads); summing /proc/<pid>/task would miss those.
      return { total: threadCpuMs(`/proc/${this.pid}/stat`), main: threadCpuMs(`/proc/${this.pid}/task/${this.pid}/stat`) };
    } catch {
      return undefined;
    }
  }

  /** Peak and current resident set size in MB (undefined without /proc). */
  memoryMb() {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
      return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 };
    } catch {
      return undefined;
    }
  }

  /**
   * SIGTERM, then wait: tracetape flushes its spans on the signal before dying by it. A child that
   * outstays `graceMs` gets SIGKILL, so a hung flush cannot hang the benchmark.
   */
  async stop(graceMs = 15_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    const started = performance.now();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return { ...result, stopMs: performance.now() - started };
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
