import { renderDiffTable, type InboundOutcome } from '@tracetape/core';

/** How the replayed server answered the recorded inbound request, for `tracetape replay`'s report. */
export function inboundLines(inbound: InboundOutcome | undefined): string[] {
  if (!inbound) return [];
  const what = `inbound ${inbound.method} ${inbound.url}`;
  if (inbound.error) return [`tracetape: ${what} was not replayed: ${inbound.error}`];
  if (inbound.match && inbound.replayedStatus === 0) return [`tracetape: ${what}: no answer before the process ended, as recorded`];
  if (inbound.match) return [`tracetape: ${what}: response matched the recording (${inbound.replayedStatus})`];
  const status =
    inbound.recordedStatus === inbound.replayedStatus
      ? `status ${inbound.replayedStatus}`
      : `status ${inbound.replayedStatus}, recorded ${inbound.recordedStatus}`;
  const lines = [`tracetape: RESPONSE DIFFERS for ${what} (${status}):`];
  if (inbound.diff.length > 0) lines.push(renderDiffTable(inbound.diff).replace(/^/gm, '  '));
  return lines;
}

/** The replayed server did not answer as recorded (or could not be asked): the replay failed. */
export function inboundFailed(inbound: InboundOutcome | undefined): boolean {
  return inbound !== undefined && !inbound.match;
}
