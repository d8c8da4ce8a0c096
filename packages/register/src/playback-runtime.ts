import { takesPartIn, tapeOfProcess } from '@tracetape/core';
import { InboundReplay, PlaybackSession } from '@tracetape/instrumentation';
import type { RegisterConfig } from './config.js';
import { readPlaybackTape } from './playback-tape.js';
import { replayNondeterminism, type ReplayedReads } from './nondeterminism.js';
import { summarizeReport, writeReplayReport } from './replay-report-file.js';
import { continuationOf, type ServedFromTapeMarker } from './then-live.js';

/** What a replay needs from start to exit: this process's part of the tape, answered and reported. */
export interface PlaybackRuntime {
  session: PlaybackSession;
  replayedReads: ReplayedReads;
  /** --then-live: the attributes and links that tie the new trace to the replayed one. */
  continuation?: ReturnType<typeof continuationOf>;
  /** For a server trace: the recorded inbound request, sent again once the app listens. */
  inboundReplay?: InboundReplay;
}

/** Playback, per the configuration: every outbound call answered from the tape, or blocked. */
export function startPlayback(config: RegisterConfig, processPath: string, servedMarker: ServedFromTapeMarker | undefined): PlaybackRuntime {
  const whole = readPlaybackTape(config.tapePath!);
  // Each process of the run answers the calls and reads its own counterpart recorded.
  const tape = tapeOfProcess(whole, processPath);
  const replayedReads = replayNondeterminism(tape, takesPartIn(whole, processPath));
  const continuation = config.thenLive ? continuationOf(tape) : undefined;
  const inboundReplay = tape.inbound ? new InboundReplay({ exchange: tape.inbound }) : undefined;
  const session = new PlaybackSession({
    tape,
    liveHosts: config.liveHosts,
    liveReadHosts: config.liveReadHosts,
    allowModelDrift: config.allowModelDrift,
    ...(config.breakAt ? { breakAtStep: config.breakAt } : {}),
    ...(servedMarker ? { thenLive: true, onServed: servedMarker.noteServed } : {}),
    ...(config.hashHeaders ? { hashHeaders: config.hashHeaders } : {}),
    redaction: config.redaction,
    ...(config.commandListenersPath ? { commandListenersFile: config.commandListenersPath } : {}),
    // The recorded process was stopped by a signal while a call waited: this one is too, at that point.
    endAsRecorded: (signal) => process.kill(process.pid, signal),
    onDivergence: (error) => {
      // Under the CLI the report carries it; run by hand, say it where the user looks.
      if (!config.reportPath) process.stderr.write(`tracetape: ${error.message}\n`);
    },
  });
  return {
    session,
    replayedReads,
    ...(continuation ? { continuation } : {}),
    ...(inboundReplay ? { inboundReplay } : {}),
  };
}

/** At exit: the report (to the CLI's file, or stderr), and a failing exit code when a call was blocked. */
export function finishPlaybackSync(playback: PlaybackRuntime, config: RegisterConfig, processPath: string): void {
  const report = {
    ...playback.session.report(),
    nondeterminism: playback.replayedReads.usage(),
    ...(playback.inboundReplay ? { inbound: playback.inboundReplay.outcome() } : {}),
  };
  if (config.reportPath) writeReplayReport(config.reportPath, report, processPath);
  else process.stderr.write(`${summarizeReport(report)}\n`);
  // A replay that had to block a call did not reproduce the run, whatever the app made of the error.
  if ((report.blocked.length > 0 || report.blockedConnections?.length) && !process.exitCode) process.exitCode = 1;
}
