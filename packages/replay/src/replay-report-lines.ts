import fs from 'node:fs';
import { homeProcessOf, processOfEntry, ROOT_PROCESS_PATH, type NondeterminismUsage, type ReplayReport, type Tape, type UnconsumedStep } from '@tracetape/core';

interface ReportLine {
  pid: number;
  /** The process path in the run; absent in lines of a hook older than process paths. */
  process?: string;
  report: ReplayReport;
}

/**
 * The replay report of a whole command, from the per-process lines its hooked Node processes (and
 * workers) left. Served, blocked and suppressed calls add up. A step is unconsumed when no process
 * was served it, read from the tape rather than from the lines, so the steps of a child that never
 * ran in the replay (and so wrote no line) are told as well. Undefined when no process wrote a report.
 */
export function readReplayReport(file: string, tape: Tape): ReplayReport | undefined {
  if (!fs.existsSync(file)) return undefined;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReportLine);
  if (lines.length === 0) return undefined;
  const reports = lines.map((line) => line.report);
  const merged: ReplayReport = {
    traceId: reports[0]!.traceId,
    served: reports.flatMap((report) => report.served),
    unconsumed: unconsumedSteps(tape, reports),
    blocked: reports.flatMap((report) => report.blocked),
    sideEffectsSuppressed: reports.flatMap((report) => report.sideEffectsSuppressed),
  };
  const live = reports.flatMap((report) => report.live ?? []);
  if (live.length > 0) merged.live = live;
  const nondeterminism = tape.processes ? summedUsage(reports) : usageOfReplayedRun(reports);
  if (nondeterminism) merged.nondeterminism = nondeterminism;
  const blockedConnections = reports.flatMap((report) => report.blockedConnections ?? []);
  if (blockedConnections.length > 0) merged.blockedConnections = blockedConnections;
  // The inbound request of a server trace is sent by the process that recorded it only.
  const home = homeProcessOf(tape);
  const inbound = (lines.find((line) => (line.process ?? ROOT_PROCESS_PATH) === home && line.report.inbound) ?? lines.find((line) => line.report.inbound))?.report.inbound;
  if (inbound) merged.inbound = inbound;
  // The first process's own ending, when it has one, is what its exit is checked against.
  const ended = lines.find((line) => (line.process ?? ROOT_PROCESS_PATH) === ROOT_PROCESS_PATH && line.report.endedAsRecorded) ?? lines.find((line) => line.report.endedAsRecorded);
  if (ended?.report.endedAsRecorded) {
    const process = ended.process ?? ROOT_PROCESS_PATH;
    merged.endedAsRecorded = { ...ended.report.endedAsRecorded, ...(process === ROOT_PROCESS_PATH ? {} : { process }) };
  }
  return merged;
}

function unconsumedSteps(tape: Tape, reports: readonly ReplayReport[]): UnconsumedStep[] {
  const served = new Set(reports.flatMap((report) => report.served.map((step) => step.step)));
  return tape.entries
    .filter((entry) => !served.has(entry.step))
    .sort((a, b) => a.step - b.step)
    .map((entry) => ({
      step: entry.step,
      method: entry.request.normalized.method,
      url: entry.request.normalized.url,
      ...(tape.processes ? { process: processOfEntry(entry) } : {}),
    }));
}

/** Each process replayed its own reads: per source, what all of them recorded, served and read beyond. */
function summedUsage(reports: readonly ReplayReport[]): NondeterminismUsage[] | undefined {
  const bySource = new Map<NondeterminismUsage['source'], NondeterminismUsage>();
  for (const usage of reports.flatMap((report) => report.nondeterminism ?? [])) {
    const sum = bySource.get(usage.source) ?? { source: usage.source, recorded: 0, served: 0, extra: 0 };
    sum.recorded += usage.recorded;
    sum.served += usage.served;
    sum.extra += usage.extra;
    bySource.set(usage.source, sum);
  }
  return bySource.size > 0 ? [...bySource.values()] : undefined;
}

/**
 * A tape of one process (or older than process paths): every process saw all its reads, and they
 * were answered in the process whose run is the replayed one. Keep that process's usage.
 */
function usageOfReplayedRun(reports: readonly ReplayReport[]): NondeterminismUsage[] | undefined {
  const usages = reports.map((report) => report.nondeterminism);
  return usages.find((usage) => usage?.some((u) => u.served > 0)) ?? usages.find(Boolean);
}
