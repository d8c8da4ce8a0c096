import type { FieldDiff } from './diff.js';
import type { NormalizedRequest, TapeIncomplete } from './tape.js';

/** Base class of every error tracetape raises: a stable `code` plus a message that says what to do. */
export class TracetapeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface DivergenceDetails {
  /** 1-based position of the offending call among the outbound calls of this replay. */
  callIndex: number;
  /** The request the code made now (normalised, redacted). */
  current: NormalizedRequest;
  inputHash: string;
  /** Step of the closest recorded request, if the tape holds anything comparable. */
  closestStep?: number;
  closest?: NormalizedRequest;
  diff: FieldDiff[];
  /** Why nothing was served: no recording of this request, or all of its recordings already used. */
  reason: 'not-recorded' | 'exhausted';
  /** The tape is of an incomplete recording and every step was served: the replay ran past its end. */
  tapeEnded?: TapeIncomplete & { lastStep: number };
}

/** Playback met a request the tape does not hold. Nothing was sent to the network. */
export class ReplayDivergenceError extends TracetapeError {
  readonly details: DivergenceDetails;
  constructor(details: DivergenceDetails, rendered: string) {
    super('TRACETAPE_REPLAY_DIVERGENCE', rendered);
    this.details = details;
  }
}

export interface ModelDriftDetails {
  /** 1-based position of the offending call among the outbound calls of this replay. */
  callIndex: number;
  /** The request the code made now (normalised, redacted). */
  current: NormalizedRequest;
  inputHash: string;
  /** The recorded step that differs from this call only in model and sampling parameters. */
  step: number;
  recorded: NormalizedRequest;
  recordedModel: string;
  currentModel: string;
  diff: FieldDiff[];
}

/**
 * Playback met an LLM call that the tape holds with another model or other sampling parameters.
 * Kept apart from other divergences because serving the recording is sometimes what the user
 * wants (the app was moved to a newer model): they can allow it explicitly.
 */
export class ModelDriftError extends TracetapeError {
  readonly details: ModelDriftDetails;
  constructor(details: ModelDriftDetails, rendered: string) {
    super('TRACETAPE_MODEL_DRIFT', rendered);
    this.details = details;
  }
}

export class InvalidTraceIdError extends TracetapeError {
  /** `prefixAllowed`: the caller also takes a prefix of 8 or more hex digits, and the message says so. */
  constructor(traceId: string, prefixAllowed = false) {
    const expected = prefixAllowed ? '32 hexadecimal characters, or the first 8 or more of them' : '32 hexadecimal characters';
    super('TRACETAPE_INVALID_TRACE_ID', `"${traceId}" is not a trace ID: expected ${expected}. List recorded runs with \`tracetape traces\`.`);
  }
}

export class UnknownTraceError extends TracetapeError {
  constructor(traceId: string, where: string) {
    super(
      'TRACETAPE_UNKNOWN_TRACE',
      `No spans for trace ${traceId} in ${where}. Check the ID with \`tracetape traces\`, and that TRACETAPE_DIR / TRACETAPE_CLICKHOUSE_URL point at the store it was recorded into.`,
    );
  }
}

export class NothingToReplayError extends TracetapeError {
  constructor(traceId: string) {
    super(
      'TRACETAPE_NOTHING_RECORDED',
      `Trace ${traceId} has spans but none carries a tracetape recording (no ${'tracetape.input.hash'} attribute). Was it recorded with \`tracetape record\` or \`node --import @tracetape/register\`?`,
    );
  }
}

export class TapeFormatError extends TracetapeError {
  constructor(where: string, problem: string, advice = 'Rebuild it with `tracetape tape <traceId> -o <file>`.', code = 'TRACETAPE_TAPE_INVALID') {
    super(code, `Invalid tape (${where}): ${problem}. ${advice}`);
  }
}

/**
 * A tape that is well-formed but not what tracetape wrote: its checksum is missing or no longer
 * matches. A subclass of TapeFormatError so that callers catching bad tapes catch these too.
 */
export class TapeIntegrityError extends TapeFormatError {
  readonly reason: 'unsigned' | 'modified';
  /** Index in `entries` of the first entry found changed, added or removed, when the change is in one. */
  readonly entryIndex: number | undefined;
  constructor(where: string, reason: 'unsigned' | 'modified', problem: string, entryIndex?: number) {
    super(
      where,
      problem,
      'If you edited it on purpose (hand-editing a fixture is fine), re-sign it with `tracetape tape --sign <file>`, ' +
        'or replay it as it is with `tracetape replay --allow-modified-tape --tape <file> -- <command...>` ' +
        '(in tests: the allowModifiedTape option of replayTape/replayTapeCommand). Otherwise rebuild it with `tracetape tape <traceId> -o <file>`.',
      reason === 'unsigned' ? 'TRACETAPE_TAPE_UNSIGNED' : 'TRACETAPE_TAPE_MODIFIED',
    );
    this.reason = reason;
    this.entryIndex = entryIndex;
  }
}

export class PayloadMissingError extends TracetapeError {
  constructor(ref: string, spanId: string) {
    super(
      'TRACETAPE_PAYLOAD_MISSING',
      `Span ${spanId} refers to payload ${ref}, which is not in the payload table (dropped by retention, or the table was not copied). The step cannot be replayed.`,
    );
  }
}

export class PayloadCorruptError extends TracetapeError {
  constructor(ref: string, spanId: string, problem: string) {
    super(
      'TRACETAPE_PAYLOAD_CORRUPT',
      `Span ${spanId} refers to payload ${ref}, but what the payload table holds for it is wrong: ${problem}. The table was edited or damaged, so the step cannot be replayed from this store: restore tracetape_payloads from a backup, or record the run again.`,
    );
  }
}

export class StoreUnavailableError extends TracetapeError {
  /** `advice` replaces the generic closing question when the caller knows better what to do. */
  constructor(where: string, cause: unknown, advice?: string) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/[.\s]+$/, '');
    super(
      'TRACETAPE_STORE_UNAVAILABLE',
      `Cannot reach the trace store at ${where}: ${reason}. ${advice ?? 'Is ClickHouse running, or is another process holding the embedded store (TRACETAPE_DIR)?'}`,
      { cause },
    );
  }
}

export class ConfigError extends TracetapeError {
  constructor(message: string) {
    super('TRACETAPE_CONFIG', message);
  }
}

/** The app's own OpenTelemetry SDK started before the hook: a replay could not be faithful. */
export class SdkStartedFirstError extends TracetapeError {
  constructor(message: string) {
    super('TRACETAPE_SDK_STARTED_FIRST', message);
  }
}

export class TruncatedPayloadError extends TracetapeError {
  constructor(step: number, method: string, url: string) {
    super(
      'TRACETAPE_PAYLOAD_TRUNCATED',
      `Step ${step} (${method} ${url}) was recorded with its body cut off at the capture size limit, so it cannot be replayed faithfully. Raise TRACETAPE_MAX_BODY_BYTES and record the run again.`,
    );
  }
}

/** A redaction setting (TRACETAPE_REDACT_BODY_PATHS, TRACETAPE_REDACT_PATTERNS) that cannot be used. */
export class RedactionConfigError extends TracetapeError {
  constructor(setting: string, value: string, problem: string) {
    super('TRACETAPE_REDACTION_CONFIG', `${setting}: "${value}" ${problem}.`);
  }
}

/**
 * A contract file (`*.contract.json`) that does not hold together: the message names the file, the
 * JSON path of the first thing wrong (`expect.sideEffects.allowed[0].max`) and what was expected.
 */
export class ContractFormatError extends TracetapeError {
  /** The JSON path of the offending value; empty for the file as a whole. */
  readonly path: string;
  constructor(where: string, path: string, problem: string) {
    super('TRACETAPE_CONTRACT_FORMAT', `${where}: ${path ? `${path} ` : ''}${problem}`);
    this.path = path;
  }
}

/**
 * A claims file (`tracetape.claims.json`) that does not hold together: the message names the file,
 * the JSON path of the first thing wrong (`claims[0].expect[1].url`) and what was expected.
 */
export class ClaimsConfigError extends TracetapeError {
  /** The JSON path of the offending value; empty for the file as a whole. */
  readonly path: string;
  constructor(where: string, path: string, problem: string) {
    super('TRACETAPE_CLAIMS_CONFIG', `${where}: ${path ? `${path} ` : ''}${problem}`);
    this.path = path;
  }
}
