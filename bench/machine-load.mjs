// Other work on the machine (a test run, a build) skews a benchmark on 2 cores more than anything
// tracetape does, so each measurement notes how much CPU went to processes that are not ours.
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

/** CPU time (ms, all cores) the whole machine has spent busy so far; undefined without /proc. */
function machineBusyMs() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return undefined;
  }
}

function ownCpuMs(processes) {
  const parent = process.cpuUsage();
  let total = (parent.user + parent.system) / 1000;
  for (const child of processes) {
    const used = child.cpuMs()?.total;
    if (used === undefined) return undefined;
    total += used;
  }
  return total;
}

/**
 * Starts a window; its end() returns the average number of cores kept busy by anything other
 * than this benchmark (its own parent and the given children) over the window.
 */
export function foreignLoadWindow(processes) {
  const started = performance.now();
  const busy = machineBusyMs();
  const own = ownCpuMs(processes);
  return {
    end() {
      const busyAfter = machineBusyMs();
      const ownAfter = ownCpuMs(processes);
      if (busy === undefined || own === undefined || busyAfter === undefined || ownAfter === undefined) return NaN;
      const foreign = busyAfter - busy - (ownAfter - own);
      return Math.max(0, foreign) / (performance.now() - started);
    },
  };
}
