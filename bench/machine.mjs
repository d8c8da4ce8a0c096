// What the numbers were measured on; they mean little without it.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    // os.cpus() can be empty or generic in containers; /proc/cpuinfo is what `nproc` users check.
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cores: os.availableParallelism(),
    cpuModel,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
