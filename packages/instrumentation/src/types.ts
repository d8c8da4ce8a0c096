import type { EndingSignal, ModelDriftAllowance, RedactionOptions, Tape, TapeEntry } from '@tracetape/core';

/** Options shared by capture and playback: both modes must normalise and hash the same way. */
export interface HashingOptions {
  /** Header names whose values enter the input hash (default: content-type). */
  hashHeaders?: readonly string[];
  /** What is redacted before a request is stored or hashed; playback must use the capture's settings. */
  redaction?: RedactionOptions;
}

export interface CaptureOptions extends HashingOptions {
  /** Bodies larger than this are stored cut off and marked truncated (default 16 MiB). */
  maxBodyBytes?: number;
  /**
   * Where outbound calls are read: `channels` (Node's diagnostics channels; the default from Node
   * 24.4, where undici publishes body chunks) or `interceptor` (socket level, every Node version;
   * the default before 24.4, and the choice for a userland undici that publishes no body chunks).
   */
  source?: CaptureSource;
}

export type CaptureSource = 'interceptor' | 'channels';

export interface PlaybackOptions extends HashingOptions {
  tape: Tape;
  /** Hosts (`host` or `host:port`) whose calls go to the network instead of the tape. */
  liveHosts?: readonly string[];
  /**
   * Hosts whose reads (HTTP GET, HEAD, OPTIONS) go to the network, fresh, while every other call to
   * them is answered from the tape or blocked as usual (`tracetape check --mode live-read`). A read
   * its recording never had an answer to (the process ended first) stays unanswered, as recorded.
   */
  liveReadHosts?: readonly string[];
  /** Called once per blocked call, before the call fails in the app. */
  onDivergence?: (error: Error) => void;
  /** LLM calls to serve although they ask for another model (`--allow-model-drift recorded=current`). */
  allowModelDrift?: readonly ModelDriftAllowance[];
  /** Pause under the Node inspector just before this step is answered (`tracetape replay --break-at`). */
  breakAtStep?: number;
  /** Let a call the tape holds no recording for go to the network instead of blocking it (`--then-live`). */
  thenLive?: boolean;
  /**
   * Ends the replayed process as its recording ended, when the app waits on a call the recording
   * never had an answer to and a signal stopped the recorded process: the hook raises the signal
   * in its process. Absent (a replay inside a test runner), such a call only goes unanswered.
   */
  endAsRecorded?: (signal: EndingSignal) => void;
  /** Called for each call answered from the tape, with the ID of its client span when one is known. */
  onServed?: (entry: TapeEntry, spanId: string | undefined) => void;
  /**
   * A file every process of the replayed command notes its listening sockets in: a raw connection
   * to one of them (tsx's runner and its app, a supervisor and its workers) is let through.
   */
  commandListenersFile?: string;
}

export type TracetapeMode = 'capture' | 'playback';
