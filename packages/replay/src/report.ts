import { originOf, renderDiffTable, type BlockedConnection, type ReplayReport, type ServedStep } from '@tracetape/core';
import { PLAIN, type Palette } from './colour.js';
import { debuggerSummary, liveCallLines, overriddenStepLines } from './debugger-report.js';
import { inboundLines } from './inbound-report.js';
import { blockedDriftLines, servedDriftLines } from './model-drift-report.js';

const BLOCKED_BECAUSE: Record<BlockedConnection['reason'], string> = {
  'server-speaks-first': 'waited for the server to speak first',
  'not-http': 'is a raw socket, not HTTP',
  http2: 'is an HTTP/2 connection, which the tape cannot answer yet',
  udp: 'is a UDP datagram',
};

/** How many kinds of suppressed side effect the summary names before saying "and N more". */
const SIDE_EFFECT_KINDS_SHOWN = 5;

export interface RenderReportOptions {
  /** One line per suppressed side effect, instead of one summary line counting them by kind. */
  verbose?: boolean;
  colour?: Palette;
}

/** What `tracetape replay` prints on stderr after the replayed process exits. */
export function renderReport(report: ReplayReport, options: RenderReportOptions = {}): string {
  const colour = options.colour ?? PLAIN;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const call of report.blocked) {
    // A client that retries a blocked call (the openai SDK does) would repeat the same story.
    const key = `${call.method} ${call.url} ${call.closestStep ?? ''} ${JSON.stringify(call.diff)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (call.reason === 'model-drift' && call.modelDrift) {
      lines.push(...blockedDriftLines({ ...call, modelDrift: call.modelDrift }).map((line) => line.replace('MODEL DRIFT', colour.red('MODEL DRIFT'))));
      continue;
    }
    if (call.tapeEnded) {
      const lost = call.tapeEnded.lostSpans ? `, ${call.tapeEnded.lostSpans} span(s) lost` : '';
      lines.push(
        `tracetape: ${colour.yellow('TAPE ENDED')} at call #${call.callIndex}: ${call.method} ${call.url} comes after step ${call.tapeEnded.lastStep}, the last one stored; ` +
          `the recording is incomplete (${call.tapeEnded.reason}${lost}).`,
      );
      continue;
    }
    const what = call.reason === 'exhausted' ? 'was made more often than recorded' : 'is not on the tape';
    lines.push(`tracetape: ${colour.red('DIVERGED')} at call #${call.callIndex}: ${call.method} ${call.url} ${what}.`);
    if (call.closestStep !== undefined) {
      lines.push(`  closest recorded request: step ${call.closestStep}`);
      if (call.diff.length > 0) lines.push(renderDiffTable(call.diff).replace(/^/gm, '  '));
    }
  }
  if (report.blocked.length > seen.size) {
    lines.push(`  (${report.blocked.length - seen.size} repeated attempt(s) of the same call were blocked too)`);
  }
  lines.push(...servedDriftLines(report.served));
  lines.push(...overriddenStepLines(report.served), ...liveCallLines(report.live));
  if (options.verbose) {
    for (const step of report.sideEffectsSuppressed) {
      const how = step.unanswered ? 'left unanswered, as recorded' : `answered from the tape (${step.status})`;
      lines.push(`tracetape: side effect suppressed: step ${step.step} ${step.method} ${step.url} ${how}`);
    }
  } else if (report.sideEffectsSuppressed.length > 0) {
    lines.push(sideEffectSummary(report.sideEffectsSuppressed));
  }
  for (const step of report.unconsumed) {
    const where = step.process ? ` (process ${step.process})` : '';
    lines.push(`tracetape: not replayed: step ${step.step}${where} ${step.method} ${step.url} was recorded but never asked for`);
  }
  for (const usage of report.nondeterminism ?? []) {
    const beyond = usage.extra > 0 ? `, ${usage.extra} beyond the recording (${usage.source === 'clock' ? 'clock continued by real time' : 'real values used'})` : '';
    lines.push(`tracetape: ${usage.source} reads: ${usage.served} of ${usage.recorded} recorded served${beyond}`);
  }
  lines.push(...inboundLines(report.inbound));
  if (report.endedAsRecorded) {
    const { signal, step, process } = report.endedAsRecorded;
    const where = process === undefined ? '' : ` in process ${process}`;
    lines.push(`tracetape: ended by ${signal} at step ${step}${where}, as the recording was: ${signal} stopped the recorded process while step ${step} waited for an answer it never got, and the replay left it unanswered too`);
  }
  for (const connection of report.blockedConnections ?? []) {
    const target = connection.port === undefined ? connection.host : `${connection.host}:${connection.port}`;
    lines.push(`tracetape: connection blocked: ${target} ${BLOCKED_BECAUSE[connection.reason]}; allow it with --live-host ${target}`);
  }
  lines.push(
    `tracetape: replay of ${report.traceId}: ${report.served.length} served, ${report.unconsumed.length} unconsumed, ` +
      `${report.blocked.length} blocked, ${report.sideEffectsSuppressed.length} side effect(s) suppressed` +
      `${report.blockedConnections?.length ? `, ${report.blockedConnections.length} connection(s) blocked` : ''}${debuggerSummary(report)}`,
  );
  return lines.join('\n');
}

/**
 * `tracetape: 300 side effect(s) suppressed: 298× POST http://shop/refunds, 2× DELETE http://shop/carts`:
 * counted by method and URL path (the query left out, so `?id=1` and `?id=2` count together), most
 * frequent first. A long replay would otherwise print one line per call; `--verbose` still does.
 */
export function sideEffectSummary(steps: readonly ServedStep[]): string {
  const counts = new Map<string, number>();
  for (const step of steps) {
    const key = `${step.method} ${withoutQuery(step.url)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // Most frequent first; ties in the order first met, which is the order they were served.
  const kinds = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const shown = kinds.slice(0, SIDE_EFFECT_KINDS_SHOWN).map(([key, count]) => `${count}× ${key}`);
  const rest = kinds.length - shown.length;
  const more = rest > 0 ? `, and ${rest} more kind(s)` : '';
  const unanswered = steps.filter((step) => step.unanswered).length;
  const how = unanswered === 0 ? 'answered from the tape' : unanswered === steps.length ? 'left unanswered, as recorded' : `answered from the tape, ${unanswered} left unanswered as recorded`;
  return `tracetape: ${steps.length} side effect(s) suppressed: ${shown.join(', ')}${more} (${how}, not sent; --verbose lists each)`;
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return originOf(parsed) + parsed.pathname;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}
