import inspector from 'node:inspector';
import type { NormalizedRequest, TapeEntry } from '@tracetape/core';

/**
 * `tracetape replay --break-at <step>`: stops this process under the Node inspector just before
 * the tape answers `entry`. Blocks until a debugger attaches, then breaks on the `debugger`
 * statement below, where the scope shows what the app asked for and what it is about to get.
 */
export function pauseBeforeStep(entry: TapeEntry, request: NormalizedRequest): void {
  const alreadyOpen = inspector.url() !== undefined;
  // open() prints "Debugger listening on ws://…" itself; the port is Node's (--inspect-port, default 9229).
  if (!alreadyOpen) inspector.open();
  const url = inspector.url();
  process.stderr.write(
    `tracetape: paused before step ${entry.step} (${request.method} ${request.url}); waiting for a debugger.\n` +
      (url ? `tracetape: open chrome://inspect, or devtools://devtools/bundled/js_app.html?ws=${url.replace(/^ws:\/\//, '')}\n` : ''),
  );
  inspector.waitForDebugger();

  const step = entry.step;
  const recordedRequest = entry.request;
  const response = entry.response;
  void [step, recordedRequest, response];
  // Paused here: `request` is what the app sent now, `response` what the tape is about to answer
  // (edit its fields to change the answer). The app's own frames are in the Call Stack below the async
  // separators; resume (F8) to deliver the response, or step out to follow it back into the app.
  debugger;
}
