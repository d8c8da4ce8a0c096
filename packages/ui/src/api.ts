/*
 * The contract between `tracetape ui`'s server and its page: every JSON answer of /api, typed once.
 * The page imports these types only (esbuild drops them), so the two cannot drift apart silently.
 */
import type { ClaimFinding, ClaimsCheck, FieldDiff, InventoryDoor, InventoryEntry, InventoryReport, InventorySystem, RepeatedSideEffect } from '@tracetape/core';

export type { ClaimFinding, ClaimsCheck, FieldDiff, InventoryDoor, InventoryEntry, InventoryReport, InventorySystem, RepeatedSideEffect };

/** What a step is, as the page colours it: an LLM call, or the door the call went through. */
export type StepKind = 'llm' | 'http' | 'postgres' | 'mysql' | 'redis' | 'dns' | 'process' | 'mcp' | 'websocket' | 'grpc';

/** One row of the runs list (`GET /api/runs`). */
export interface RunListItem {
  traceId: string;
  serviceName: string;
  /** The root span's name: the script or the server route. */
  name: string;
  /** ISO-8601, UTC. */
  start: string;
  durationMs: number;
  /** 'Error' when any span errored. */
  status: 'Ok' | 'Error' | 'Unset';
  /** Recorded boundary calls (steps). */
  callCount: number;
  /** Models asked for by the run's LLM calls, each once. */
  models: string[];
  /** A production (or test) recording, or a replay that `tracetape replay` stored. */
  type: 'recording' | 'replay';
  /** For a replay: the trace it replayed. */
  replayOf?: string;
  /** For a replay: `diverged` when a call was blocked or the command failed. */
  outcome?: 'passed' | 'diverged';
  /** From the recording log: a process still writing, or one that lost spans. Absent: complete. */
  state?: 'recording' | 'incomplete';
  /** Side effects the run did again with nothing making it safe (the refund paid twice). Absent: none. */
  repeatedSideEffects?: number;
}

/**
 * `GET /api/runs` query: service, name (substring), status (`ok` | `error` | `diverged`),
 * since / until (ISO-8601), attr (repeatable, `key=value`: any span attribute, e.g.
 * `gen_ai.request.model=gpt-4o-mini`, `gen_ai.tool.name=refund`, `tracetape.input.hash=…`,
 * `server.address=api.example.com`), limit (default 200).
 */
export interface RunListResponse {
  runs: RunListItem[];
  /** Every service in the store, for the filter's choices. */
  services: string[];
}

/** One step of a run as the waterfall and the scrubber show it: no payloads. */
export interface StepSummary {
  /** 1-based, as `tracetape replay` and `tracetape tape` number it. */
  step: number;
  kind: StepKind;
  /** `POST`, `SELECT`, `GET` (redis), `spawn`… */
  method: string;
  /** URL, or the door's target (`postgres://host/db`, the command line). */
  url: string;
  /** One line: what a person reads in the waterfall (method and path, the statement, the model). */
  label: string;
  /** Milliseconds after the run started. */
  startOffsetMs: number;
  durationMs: number;
  /** 0: failed before any response (see error). */
  status: number;
  error?: string;
  /** The call changes something (a POST, an INSERT, a write command). */
  sideEffect: boolean;
  /** For LLM calls: the model asked for. */
  model?: string;
  /** The process that made it, when the run had several (`0.1`). */
  process?: string;
}

/** `GET /api/runs/:traceId`. */
export interface RunDetail {
  run: RunListItem & {
    rootKind: 'process' | 'run' | 'server';
    /** The command that ran it, from its latest stored replay (the recording does not keep it): for the override command. */
    command?: string[];
    /** Why the recording is incomplete. */
    incomplete?: string;
  };
  steps: StepSummary[];
  /** Clock, random and ID reads the run made, per source. */
  reads: { clock: number; random: number; uuid: number; bytes: number };
  /** Replays of this run that `tracetape replay` stored, newest first. */
  replays: ReplaySummary[];
  /** What the recording answers of the first hour of an incident: was anything done twice? */
  findings: RunFindings;
}

/** A run's findings, read off its tape. */
export interface RunFindings {
  /** Each side effect that repeats an earlier one, safely retried ones included (their verdict says so). */
  repeated: RepeatedSideEffect[];
  /**
   * The final answer checked against the claims file `tracetape ui` was given (`--claims`, or
   * TRACETAPE_CLAIMS, or ./tracetape.claims.json): a heuristic, so every finding says what it matched
   * and why. Absent: no claims file, nothing checked.
   */
  claims?: { file: string; check: ClaimsCheck };
}

/** A body as the page shows it: parsed JSON (a tree), text, or a note about bytes. */
export type ShownBody =
  | { kind: 'json'; value: unknown; size: number }
  | { kind: 'text'; text: string; size: number }
  | { kind: 'binary'; size: number; note: string };

export interface ChatToolCall {
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
  id?: string;
}

export interface ChatMessage {
  /** system, user, assistant, tool. */
  role: string;
  text: string;
  toolCalls?: ChatToolCall[];
  /** For a tool result: the call it answers. */
  toolCallId?: string;
}

/** An LLM call as a conversation: what the model was sent and what it answered. */
export interface ChatView {
  provider: string;
  operation: string;
  requestModel?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  finishReason?: string;
  /** The request's messages, then the answer as the last (assistant) message. */
  messages: ChatMessage[];
  offeredTools: string[];
}

/** `GET /api/runs/:traceId/steps/:n`: one step whole. */
export interface StepDetail {
  summary: StepSummary;
  spanName: string;
  inputHash: string;
  request: {
    method: string;
    url: string;
    /** Every header as sent, already redacted by the recorder. */
    headers: Array<[string, string]>;
    body?: ShownBody;
  };
  response: {
    status: number;
    statusText: string;
    headers: Array<[string, string]>;
    body?: ShownBody;
    /** A streamed response as its chunks, with when each arrived after the headers. */
    chunks?: Array<{ offsetMs: number; body: ShownBody }>;
    error?: string;
    truncated?: boolean;
    complete: boolean;
  };
  chat?: ChatView;
  /** The last side-effect step before this one, for "rewind to before the side effect". */
  previousSideEffect?: number;
}

/** `unanswered`: taken from the tape and left unanswered, as its recording was (the process ended first). */
export type ReplayStepOutcome = 'served' | 'overridden' | 'unanswered' | 'unconsumed' | 'live';

/** A replay as listed under its recording. */
export interface ReplaySummary {
  /** The replay's own trace ID. */
  traceId: string;
  replayOf: string;
  /** ISO-8601, UTC. */
  start: string;
  outcome: 'passed' | 'diverged';
  exitCode: number;
  /** The replayed command, as given after `--`. */
  command: string[];
  counts: { served: number; blocked: number; unconsumed: number; sideEffectsSuppressed: number };
  /**
   * The replayed process was ended by the signal that ended its recording, at the step its
   * recording never had an answer to: why its exit code says a signal, or 1 under a wrapper.
   */
  endedAsRecorded?: { signal: string; step: number; process?: string };
  /** The exit code is tracetape's doing (as `tracetape replay` judged it), not the command's failure. */
  exitEndedByTracetape: boolean;
}

/** `GET /api/replays/:replayTraceId`: a replay against its recording. */
export interface ReplayDetail extends ReplaySummary {
  /** Per recorded step, what the replay did with it. */
  steps: Array<{ step: number; outcome: ReplayStepOutcome }>;
  /** Calls the tape could not answer, in the order made, each with the closest recorded step and the field diff. */
  blockedCalls: Array<{
    callIndex: number;
    method: string;
    url: string;
    reason: string;
    closestStep?: number;
    diff: FieldDiff[];
  }>;
}

/** `GET /api/compare?a=<traceId>&b=<traceId>`: two runs with their steps aligned by kind and request. */
export interface Comparison {
  a: RunListItem;
  b: RunListItem;
  rows: ComparisonRow[];
  /** Index into rows of the first row that is not `same`; absent when the runs agree throughout. */
  firstDifference?: number;
}

export interface ComparisonRow {
  a?: StepSummary;
  b?: StepSummary;
  /**
   * `same`: the same request (input hash); `changed`: same kind and target, different request
   * (see diff); `only-a` / `only-b`: a step the other run did not make.
   */
  relation: 'same' | 'changed' | 'only-a' | 'only-b';
  /** For `changed`: the request fields that differ, a's values as `recorded`, b's as `current`. */
  diff?: FieldDiff[];
}

/**
 * `GET /api/inventory?since=&until=&service=&compare=`: every external system the recorded runs of
 * a period touched, as `tracetape inventory --format json` prints it. since / until: a time back
 * from now (`30m`, `2h`, `7d`, `1w`) or an ISO 8601 time (no zone: UTC); since defaults to 7d,
 * until to now. service: exact. compare: `same` (a period as long, just before) or a length
 * (`1h`, `7d`): what is new against the period of that length before since.
 */
export interface InventoryResponse extends InventoryReport {
  /** Every service with calls in the period, whichever service was asked for: the filter's choices. */
  services: string[];
}

/** Every error answer: a status code and what to do. */
export interface ApiError {
  error: { code: string; message: string };
}
