import type { RedactionOptions, Tape } from '@tracetape/core';

/** Options shared by capture and playback: both modes must normalise and hash the same way. */
export interface HashingOptions {
  /** Header names whose values enter the input hash (default: content-type). */
  hashHeaders?: readonly string[];
}

export interface CaptureOptions extends HashingOptions {
  redaction?: RedactionOptions;
  /** Bodies larger than this are stored cut off and marked truncated (default 16 MiB). */
  maxBodyBytes?: number;
}

export interface PlaybackOptions extends HashingOptions {
  tape: Tape;
  /** Hosts (`host` or `host:port`) whose calls go to the network instead of the tape. */
  liveHosts?: readonly string[];
  /** Called once per blocked call, before the call fails in the app. */
  onDivergence?: (error: Error) => void;
}

export type TracetapeMode = 'capture' | 'playback';
