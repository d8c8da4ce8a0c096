import fs from 'node:fs';
import type { WriterIdentity } from './segment-name.js';

let bootTimeMs: number | undefined;
let clockTicks = 100;

/**
 * Whether the process that wrote a segment may still append to it. A pid that answers is alive,
 * unless (on Linux) /proc says that process started after the writer did: the pid was reused.
 * Checked with signal 0, so it costs nothing and needs no lock the writer would have to hold.
 */
export function writerMayBeAlive(writer: WriterIdentity): boolean {
  if (writer.pid === process.pid) return true;
  try {
    process.kill(writer.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const started = processStartMs(writer.pid);
  // A second of slack: boot time and the tick count are coarse.
  return started === undefined || started <= writer.startedMs + 1000;
}

function processStartMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot), counted after the command name's closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    bootTimeMs ??= readBootTimeMs();
    if (!Number.isFinite(ticks) || bootTimeMs === undefined) return undefined;
    return bootTimeMs + (ticks * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

function readBootTimeMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
    return line ? Number(line.slice(6)) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
