import type { EncodedBody } from './body.js';
import { TapeFormatError } from './errors.js';
import { signTape, verifyTapeChecksum, withoutSignature } from './tape-checksum.js';
import { compactPayloads, expandPayloads, formatCompactTape, type PayloadIndex } from './tape-payloads.js';
import { checkTapeDepth, checkTapeStructure } from './tape-schema.js';

export const TAPE_FORMAT = 'tracetape.tape';
/**
 * The newest tape version, the one every tape has in memory. Version 2 added the `payloads` table of
 * the compact form (tape-payloads.ts). Version 3 added calls still unanswered when the process
 * ended (`response.unanswered`), which a version-2 reader would answer with a network error
 * instead of never answering: a file holding one is written as version 3, so such a reader refuses
 * it; any other file is still written as version 2, which every reader since version 2 takes.
 */
export const TAPE_VERSION = 3;
const READABLE_VERSIONS: readonly unknown[] = [1, 2, 3];

/**
 * The doors a process talks to the world through. Every door records its calls in one shape: a
 * normalised request (an operation as `method`, what it is addressed to as `url`, its arguments as
 * `body`) and a recorded response, so matching, diffs, the timeline and reports need nothing per door.
 */
export const BOUNDARY_KINDS = ['http', 'postgres', 'mysql', 'redis', 'dns', 'process', 'mcp', 'websocket', 'grpc'] as const;
export type BoundaryKind = (typeof BOUNDARY_KINDS)[number];

/** The part of a request that identifies it: what is hashed, matched and diffed. */
export interface NormalizedRequest {
  method: string;
  /** Scheme and host lower-cased, default port dropped, query parameters sorted. */
  url: string;
  /** Only the allow-listed headers (content-type by default), names lower-cased. */
  headers: Record<string, string>;
  /** Canonical body: JSON with sorted keys, anything else as sent. */
  body?: EncodedBody;
}

/** A request as stored: its normalised form plus every header as sent, redacted. */
export interface CapturedRequest {
  normalized: NormalizedRequest;
  headers: Array<[string, string]>;
}

export interface ResponseChunk {
  /** Milliseconds after the response headers arrived. */
  offsetMs: number;
  body: EncodedBody;
}

export interface RecordedResponse {
  /** 0 when the call failed before any response (see `error`). */
  status: number;
  statusText: string;
  /** Headers as received, redacted. */
  headers: Array<[string, string]>;
  /** The decoded body, for responses that are not streamed. */
  body?: EncodedBody;
  /** The decoded body as it arrived, for streamed responses (server-sent events, NDJSON). */
  chunks?: ResponseChunk[];
  /** The content-encoding the body arrived in; the stored body is decoded unless `bodyStillEncoded`. */
  contentEncoding?: string;
  /** The body could not be decoded (unknown or broken coding) and is stored as it arrived. */
  bodyStillEncoded?: boolean;
  /** The body exceeded the capture size limit and was cut off: it must not be replayed. */
  truncated?: boolean;
  /** False when the body was not read to its end (the process exited, the stream broke). */
  complete: boolean;
  /** The network error the call ended with, if it ended with one. */
  error?: string;
  /** The call had no answer yet when its process ended: a replay never answers it either. */
  unanswered?: UnansweredCall;
}

/** The signals whose arrival a recording keeps: what stops a process from outside (Ctrl-C, a supervisor, a closed terminal). */
export const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type EndingSignal = (typeof ENDING_SIGNALS)[number];

/**
 * How the process of a call still waiting for its answer ended. With a signal, a replay ends the
 * same way: once the app waits on this call again, and the calls answered before the signal came
 * are answered, the replayed process gets the signal. Without one the app ended by itself
 * (`process.exit()` while the call waited), and will again.
 */
export interface UnansweredCall {
  /** The signal that reached the process before it ended, if one did. */
  signal?: EndingSignal;
  /** When it arrived (ISO time). */
  signalAt?: string;
}

/** What an LLM call was, read from its payloads (OpenTelemetry GenAI semantic conventions). */
export interface LlmCallInfo {
  /** gen_ai.provider.name: openai, anthropic, gcp.gemini… */
  provider: string;
  /** gen_ai.operation.name: chat, generate_content… */
  operation: string;
  requestModel?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
}

/**
 * Clock, random and ID reads of a run, per source in call order. Values are stored compactly:
 * clock readings as deltas from the previous reading (ms), random draws as numbers, IDs as strings,
 * random bytes as base64 per call.
 */
export interface NondeterminismRecord {
  clock?: { start: number; deltas: number[] };
  random?: number[];
  uuid?: string[];
  bytes?: string[];
}

/** How the replay used one source of the recording. */
export interface NondeterminismUsage {
  source: 'clock' | 'random' | 'uuid' | 'bytes';
  recorded: number;
  served: number;
  /** Reads past the end of the recording (or of another size, for bytes): answered from the real source. */
  extra: number;
}

/**
 * An inbound request as the server received it. Normalisation sorts the query and re-serialises
 * JSON, so replay resends the target and body as they arrived, for an app that reads them raw.
 */
export interface InboundRequest extends CapturedRequest {
  /** The request target as received: path and query (`/answer?b=2&a=1`). */
  target: string;
  /** The body as received (bytes the handler read); absent when it read none. */
  body?: EncodedBody;
  /** The body exceeded the capture size limit and was cut off: it cannot be resent faithfully. */
  truncated?: boolean;
  /** False when the handler did not read the body to its end before responding. */
  complete: boolean;
}

/** The inbound request that started a server trace, and what the server answered. */
export interface InboundExchange {
  request: InboundRequest;
  response: RecordedResponse;
}

export interface TapeEntry {
  /** 1-based, in the order the calls started. */
  step: number;
  kind: BoundaryKind;
  spanId: string;
  spanName: string;
  /** ISO-8601 start time of the call. */
  startTime: string;
  durationMs: number;
  inputHash: string;
  request: CapturedRequest;
  response: RecordedResponse;
  /** Set when the call was recognised as a call to an LLM API. */
  llm?: LlmCallInfo;
  /** The door's word on whether the call changes something; absent: HTTP's rule (not GET, HEAD, OPTIONS). */
  sideEffect?: boolean;
  /**
   * The process of the run that made the call (resource attribute `tracetape.process.path`); absent: the
   * run's first process, `0`.
   */
  process?: string;
  /** Set when `tracetape replay --override` replaced the recorded response: where the new one came from. */
  override?: { source: string };
}

export interface Tape {
  format: typeof TAPE_FORMAT;
  version: typeof TAPE_VERSION;
  traceId: string;
  serviceName: string;
  /** Name of the trace's root span. */
  rootName: string;
  /** Span ID of the trace's root span (a replay continued live links its new trace to it). */
  rootSpanId?: string;
  /** What the root span delimits: a process run, a run() call, an inbound request. Absent: a process run. */
  rootKind?: 'process' | 'run' | 'server';
  /** ISO-8601 start time of the trace. */
  recordedAt: string;
  entries: TapeEntry[];
  /** Clock, random and ID reads made inside the run (by its first process, when it had several). */
  nondeterminism?: NondeterminismRecord;
  /**
   * The run's other processes (child processes, workers) by process path. Present when the
   * recording had more than one: each process then replays only its own entries and reads.
   * Absent (a single process, or a tape older than this field): every process sees every entry.
   */
  processes?: Record<string, TapeProcess>;
  /**
   * Process path of the process that recorded the root span, when it is not the first: a request
   * served by a `node:cluster` worker, or by a server a wrapper such as npm started. That process
   * replays the inbound exchange and the root's reads. Absent: the first process (`0`).
   */
  rootProcess?: string;
  /** For a trace rooted at an inbound HTTP request: that request and the recorded response. */
  inbound?: InboundExchange;
  /**
   * Set when the recording lost spans (a killed process, a full disk): the tape holds what was
   * stored, and a replay that runs past its last step is told the tape ended, not that it diverged.
   */
  incomplete?: TapeIncomplete;
}

/** A process of a run other than its first. */
export interface TapeProcess {
  /** Name of the process's run span: its script. */
  runName: string;
  /** Its clock, random and ID reads. */
  nondeterminism?: NondeterminismRecord;
}

export interface TapeIncomplete {
  /** Why, as the recording processes or the ingest said it. */
  reason: string;
  /** Spans the recording processes said they lost, when they could say. */
  lostSpans?: number;
}

export interface SerializeTapeOptions {
  /**
   * Write each distinct large payload once, in a `payloads` table that bodies refer to by SHA-256
   * (see tape-payloads.ts): what fixtures and `tracetape tape -o` write. Without it every body is
   * written inline, for readers that take the JSON apart themselves (`tracetape tape --json`).
   */
  compact?: boolean;
}

/**
 * The tape as a file: JSON, signed with a fresh checksum (see tape-checksum.ts) whatever checksum
 * fields the object carried, so a tape rewritten in memory (overrides, redaction) is signed anew.
 */
export function serializeTape(tape: Tape, options: SerializeTapeOptions = {}): string {
  // Round-trip first so the checksum covers exactly what a reader of the file will parse.
  const plain = JSON.parse(JSON.stringify(tape)) as Record<string, unknown>;
  plain.version = fileVersionOf(tape);
  // The compact form is signed as written: its entries hold references, and the payloads they
  // refer to are covered by the checksum and by their own content hashes.
  if (options.compact) return formatCompactTape(signTape(compactPayloads(plain)));
  return JSON.stringify(signTape(plain), null, 2) + '\n';
}

/** The oldest version that holds all of the tape: 3 with an unanswered call, 2 without. */
export function fileVersionOf(tape: Pick<Tape, 'entries' | 'inbound'>): 2 | typeof TAPE_VERSION {
  const unanswered = tape.inbound?.response.unanswered !== undefined || tape.entries.some((entry) => entry.response.unanswered !== undefined);
  return unanswered ? TAPE_VERSION : 2;
}

/**
 * Set by `tracetape replay` for the hooked app: the SHA-256 (hex) of the tape file's bytes. The CLI
 * checks a tape before it hands it over and writes it unsigned; the hook accepts that file, and only
 * that file, without a checksum.
 */
export const HANDED_OVER_TAPE_ENV = 'TRACETAPE_TAPE_SHA256';

/**
 * Set by `tracetape replay` when it starts the app while it is still building the tape: the CLI's
 * process ID. The hook then waits for the tape file to appear (written whole, by a rename), with
 * the SHA-256 of its bytes in `<tape>.sha256` beside it, or for `<tape>.failed`, which says the tape
 * could not be built and the app must not run; it also stops waiting if that process is gone.
 */
export const TAPE_PENDING_ENV = 'TRACETAPE_TAPE_PENDING';
/** Beside a pending tape: the SHA-256 (hex) of the tape file's bytes, written before the tape. */
export const TAPE_SHA256_SUFFIX = '.sha256';
/** Beside a pending tape: written instead of it when it could not be built. */
export const TAPE_FAILED_SUFFIX = '.failed';

export interface ParseTapeOptions {
  /** Accept a tape without a checksum (written by hand, or by an older tracetape). */
  allowUnsigned?: boolean;
  /** Accept a tape whose checksum is missing or does not match (edited by hand on purpose). */
  allowModified?: boolean;
  /** Told when an unsigned or modified tape is accepted, to warn the user. */
  onWarning?: (message: string) => void;
}

/**
 * Parses and checks a tape file; a tape that does not hold together is refused with the JSON path
 * of where it breaks, and one whose checksum is missing or wrong with where it was changed.
 * The structure is always checked, whatever the options: playback relies on it.
 * @throws TapeFormatError (TapeIntegrityError for a checksum problem)
 */
export function parseTape(text: string, where = 'tape', options: ParseTapeOptions = {}): Tape {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TapeFormatError(where, `not JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new TapeFormatError(where, 'expected a JSON object');
  if (value.format !== TAPE_FORMAT) throw new TapeFormatError(where, `"format" must be "${TAPE_FORMAT}"`);
  if (!READABLE_VERSIONS.includes(value.version)) {
    throw new TapeFormatError(
      where,
      `version ${String(value.version)} is not supported (this tracetape reads versions ${READABLE_VERSIONS.join(', ')}); ` +
        'a newer tracetape wrote it: upgrade tracetape, or write the tape again with this one',
    );
  }
  let expanded = value;
  let payloads: PayloadIndex | undefined;
  if (value.version !== 1) {
    // Expanding recurses into the file's values: refuse absurd nesting before it does.
    checkTapeDepth(value, where);
    ({ tape: expanded, index: payloads } = expandPayloads(value, where));
  }
  checkTapeStructure(expanded, where);
  // The checksum is of the file as written, references and payload table included.
  verifyTapeChecksum(value, where, options, payloads);
  // In memory every tape is the current version, whichever version its file was.
  return { ...withoutSignature(expanded), version: TAPE_VERSION } as unknown as Tape;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
