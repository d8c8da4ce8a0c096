import fs from 'node:fs';
import type { ReplayReport } from '@tracetape/core';

interface ReportLine {
  pid: number;
  report: ReplayReport;
}

/**
 * The replay report of a whole command, from the per-process lines its hooked Node processes left.
 * Each process matched against the full tape, so a step is unconsumed only if no process used it;
 * everything else adds up. Undefined when no process wrote a report.
 */
export function readReplayReport(file: string): ReplayReport | undefined {
  if (!fs.existsSync(file)) return undefined;
  const reports = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as ReportLine).report);
  const [first, ...others] = reports;
  if (!first) return undefined;
  return others.reduce(mergeReports, first);
}

function mergeReports(a: ReplayReport, b: ReplayReport): ReplayReport {
  const stillUnconsumed = new Set(b.unconsumed.map((step) => step.step));
  const merged: ReplayReport = {
    traceId: a.traceId,
    served: [...a.served, ...b.served],
    unconsumed: a.unconsumed.filter((step) => stillUnconsumed.has(step.step)),
    blocked: [...a.blocked, ...b.blocked],
    sideEffectsSuppressed: [...a.sideEffectsSuppressed, ...b.sideEffectsSuppressed],
  };
  const live = [...(a.live ?? []), ...(b.live ?? [])];
  if (live.length > 0) merged.live = live;
  // Clock and random reads are answered in the process whose run is the replayed one: keep its usage.
  const nondeterminism = [a.nondeterminism, b.nondeterminism].find((usage) => usage?.some((u) => u.served > 0)) ?? a.nondeterminism ?? b.nondeterminism;
  if (nondeterminism) merged.nondeterminism = nondeterminism;
  const blockedConnections = [...(a.blockedConnections ?? []), ...(b.blockedConnections ?? [])];
  if (blockedConnections.length > 0) merged.blockedConnections = blockedConnections;
  const inbound = a.inbound ?? b.inbound;
  if (inbound) merged.inbound = inbound;
  return merged;
}
