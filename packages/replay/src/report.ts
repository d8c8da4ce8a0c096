import { renderDiffTable, type ReplayReport } from '@tracetape/core';

/** What `tracetape replay` prints on stderr after the replayed process exits. */
export function renderReport(report: ReplayReport): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const call of report.blocked) {
    // A client that retries a blocked call (the openai SDK does) would repeat the same story.
    const key = `${call.method} ${call.url} ${call.closestStep ?? ''} ${JSON.stringify(call.diff)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const what = call.reason === 'exhausted' ? 'was made more often than recorded' : 'is not on the tape';
    lines.push(`tracetape: DIVERGED at call #${call.callIndex}: ${call.method} ${call.url} ${what}.`);
    if (call.closestStep !== undefined) {
      lines.push(`  closest recorded request: step ${call.closestStep}`);
      if (call.diff.length > 0) lines.push(renderDiffTable(call.diff).replace(/^/gm, '  '));
    }
  }
  if (report.blocked.length > seen.size) {
    lines.push(`  (${report.blocked.length - seen.size} repeated attempt(s) of the same call were blocked too)`);
  }
  for (const step of report.sideEffectsSuppressed) {
    lines.push(`tracetape: side effect suppressed: step ${step.step} ${step.method} ${step.url} answered from the tape (${step.status})`);
  }
  for (const step of report.unconsumed) {
    lines.push(`tracetape: not replayed: step ${step.step} ${step.method} ${step.url} was recorded but never asked for`);
  }
  lines.push(
    `tracetape: replay of ${report.traceId}: ${report.served.length} served, ${report.unconsumed.length} unconsumed, ` +
      `${report.blocked.length} blocked, ${report.sideEffectsSuppressed.length} side effect(s) suppressed`,
  );
  return lines.join('\n');
}
