import type { LiveCall, ReplayReport, ServedStep } from '@tracetape/core';

/** Report lines for steps answered with `--override` instead of the recorded response. */
export function overriddenStepLines(served: readonly ServedStep[]): string[] {
  return served
    .filter((step) => step.overridden)
    .map((step) => `tracetape: overridden: step ${step.step} ${step.method} ${step.url} answered with the --override response (${step.status})`);
}

/** Why a call went to the network in a replay, as the report says it. */
const LIVE_BECAUSE: Record<LiveCall['reason'], string> = {
  'live-read': 'a read of a live-read host',
  exhausted: 'all its recordings were already served',
  'not-recorded': 'not on the tape',
  unanswered: 'its recording had no answer when the recorded process ended',
};

/** Report lines for calls that went to the network: `--then-live` past the tape, or reads of live-read hosts. */
export function liveCallLines(live: readonly LiveCall[] | undefined): string[] {
  return (live ?? []).map((call) => {
    const why = LIVE_BECAUSE[call.reason];
    const closest = call.closestStep !== undefined ? `; closest recorded request: step ${call.closestStep}` : '';
    return `tracetape: live: call #${call.callIndex} ${call.method} ${call.url} went to the network (${why}${closest})`;
  });
}

/** The summary's tail for what the debugger options did; empty when none was used. */
export function debuggerSummary(report: ReplayReport): string {
  const overridden = report.served.filter((step) => step.overridden).length;
  const parts = [overridden > 0 ? `${overridden} overridden` : '', report.live ? `${report.live.length} live` : ''];
  return parts.filter(Boolean).map((part) => `, ${part}`).join('');
}
