import fs from 'node:fs';
import type { ReplayReport } from '@tracetape/core';

/**
 * The report a playback process leaves for `tracetape replay`: one JSON line per process (and per
 * worker), appended on exit, because a replayed command may start several Node processes (a
 * wrapper such as npm and the app it runs, the children and workers of the app), each with the
 * hook. One line is one append, so processes ending together do not clobber each other; the CLI
 * adds the lines up.
 */
export function writeReplayReport(filePath: string, report: ReplayReport, processPath: string): void {
  fs.appendFileSync(filePath, `${JSON.stringify({ pid: process.pid, process: processPath, report })}\n`);
}

export function summarizeReport(report: ReplayReport): string {
  const parts = [
    `${report.served.length} served`,
    `${report.unconsumed.length} unconsumed`,
    `${report.blocked.length} blocked`,
    `${report.sideEffectsSuppressed.length} side effect${report.sideEffectsSuppressed.length === 1 ? '' : 's'} suppressed`,
  ];
  if (report.blockedConnections?.length) parts.push(`${report.blockedConnections.length} connection(s) blocked`);
  if (report.inbound) {
    const { method, url, match, error } = report.inbound;
    parts.push(`inbound ${method} ${url} ${error ? `not replayed (${error})` : match ? 'answered as recorded' : 'answered DIFFERENTLY from the recording'}`);
  }
  return `tracetape replay of ${report.traceId}: ${parts.join(', ')}`;
}
