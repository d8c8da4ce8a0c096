import {
  canonicalJson,
  encodeBody,
  type EncodedBody,
  type NormalizedRequest,
  type RecordedResponse,
  type Redactor,
  type RequestKeyRules,
} from '@tracetape/core';
import { redactJsonDocument, utf8Body } from '../database/json-document.js';
import type { Starter, StdioMode } from './child-start.js';

/** What the child read on stdin: the bytes the app wrote to its pipe (and whether it ended it), or where else stdin came from. */
export type StdinRecord = { written: Buffer; open: boolean } | { from: Exclude<StdioMode, 'pipe'> };

/** A boundary call of this door: what was started, where, and with what on stdin. */
export interface ChildProcessCall {
  api: Starter;
  /** The executable; with a shell, the command line. */
  command: string;
  args: string[];
  /** See workingDirectory(): relative to this process's own when inside it. */
  cwd: string;
  shell?: string | true;
  stdin: StdinRecord;
}

/** The call as it may be stored: secrets replaced in the command, arguments and stdin. */
export interface RedactedChildProcessCall {
  api: Starter;
  command: string;
  args: string[];
  cwd: string;
  shell?: string | true;
  stdin?: EncodedBody;
  stdinOpen?: true;
  stdinFrom?: string;
}

/**
 * The door's rules for requestKey(). Command, arguments, working directory and shell are redacted
 * as one JSON document (secret patterns and body paths such as `$.args[2]` apply), stdin as a body.
 * The key is the API the app called as `method`, the command as `url`, and arguments, working
 * directory, shell and stdin as the body, so a divergence names `url`, `body.args[1]` or
 * `body.stdin`. Environment variables are not in the key: the names the child saw are kept on the
 * request (not hashed) because they differ between machines and between record and replay
 * (TRACETAPE_MODE, TRACETAPE_TAPE…) without the app asking anything else; their values are never kept.
 */
export function childProcessKeyRules(): RequestKeyRules<ChildProcessCall, RedactedChildProcessCall, NormalizedRequest> {
  return {
    redact: (call, redactor) => {
      const head: Omit<RedactedChildProcessCall, 'stdin' | 'stdinOpen' | 'stdinFrom'> = { api: call.api, command: call.command, args: call.args, cwd: call.cwd };
      if (call.shell !== undefined) head.shell = call.shell;
      const redacted: RedactedChildProcessCall = redactJsonDocument(head, redactor);
      if ('from' in call.stdin) redacted.stdinFrom = call.stdin.from;
      else {
        redacted.stdin = redactor.encodedBody(encodeBody(call.stdin.written), undefined);
        if (call.stdin.open) redacted.stdinOpen = true;
      }
      return redacted;
    },
    normalize: (call) => ({ method: call.api, url: call.command, headers: {}, body: utf8Body(canonicalJson(keyedBody(call))) }),
  };
}

function keyedBody(call: RedactedChildProcessCall): Record<string, unknown> {
  const body: Record<string, unknown> = { args: call.args, cwd: call.cwd };
  if (call.shell !== undefined) body.shell = call.shell;
  if (call.stdin) body.stdin = call.stdin.encoding === 'utf8' ? call.stdin.data : { base64: call.stdin.data };
  if (call.stdinOpen) body.stdinOpen = true;
  if (call.stdinFrom) body.stdinFrom = call.stdinFrom;
  return body;
}

/** The part of a normalised call that is known at the start, before stdin: what playback checks then. */
export function startOf(request: NormalizedRequest): string {
  const body = JSON.parse(request.body?.data ?? '{}') as Record<string, unknown>;
  delete body.stdin;
  delete body.stdinOpen;
  return canonicalJson({ method: request.method, url: request.url, body });
}

/** One piece of output as it arrived, on stdout (1) or stderr (2). */
export interface OutputChunk {
  fd: 1 | 2;
  /** Milliseconds after the start. */
  offsetMs: number;
  /** UTF-8 text, or base64 when `base64` is set. */
  data: string;
  base64?: true;
}

/** The error a start ended with: Node's 'error' event, or the `error` of a sync start (ENOENT, ETIMEDOUT). */
export interface RecordedChildError {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** What a started child did, as the tape keeps it. */
export interface ChildOutcome {
  /** False when no process was started (its 'error', ENOENT, came instead of 'spawn'). */
  spawned: boolean;
  pid?: number;
  /** Null when it was killed by a signal, or never started. */
  exitCode: number | null;
  signal: string | null;
  output: OutputChunk[];
  error?: RecordedChildError;
  /** Output past the capture size limit was not kept: the call cannot be replayed faithfully. */
  truncated?: true;
  /** The child was still running when the app's process exited: its output so far, and no end. */
  running?: true;
}

/** A chunk of output as stored; the secret patterns apply to it as to any response body. */
export function outputChunk(fd: 1 | 2, offsetMs: number, bytes: Uint8Array, redactor: Redactor): OutputChunk {
  const body = redactor.encodedBody(encodeBody(bytes), undefined);
  const chunk: OutputChunk = { fd, offsetMs: Math.round(offsetMs * 1000) / 1000, data: body.data };
  if (body.encoding === 'base64') chunk.base64 = true;
  return chunk;
}

export function chunkBytes(chunk: OutputChunk): Buffer {
  return Buffer.from(chunk.data, chunk.base64 ? 'base64' : 'utf8');
}

/** What Node's error object carries that is worth keeping; the message is redacted (it can quote the command). */
export function recordedError(error: unknown, redactor: Redactor): RecordedChildError {
  const source = (error ?? {}) as Partial<Record<keyof RecordedChildError, unknown>>;
  const recorded: RecordedChildError = { message: redactor.text(String(source.message ?? error)) };
  if (typeof source.code === 'string') recorded.code = source.code;
  if (typeof source.errno === 'number') recorded.errno = source.errno;
  if (typeof source.syscall === 'string') recorded.syscall = redactor.text(source.syscall);
  if (typeof source.path === 'string') recorded.path = redactor.text(source.path);
  return recorded;
}

/** The outcome as a recorded response: status 200 for a child that ran (whatever its exit code), 0 for one that never started. */
export function outcomeResponse(outcome: ChildOutcome): RecordedResponse {
  const response: RecordedResponse = {
    status: outcome.spawned ? 200 : 0,
    statusText: describeOutcome(outcome),
    headers: [],
    body: utf8Body(JSON.stringify(outcome)),
    complete: !outcome.truncated && !outcome.running,
  };
  if (outcome.truncated) response.truncated = true;
  if (!outcome.spawned && outcome.error) response.error = outcome.error.message;
  return response;
}

export function outcomeOf(response: RecordedResponse): ChildOutcome {
  const stored = JSON.parse(response.body?.data ?? '{}') as Partial<ChildOutcome>;
  return { spawned: false, exitCode: null, signal: null, output: [], ...stored };
}

/** `exit 0`, `signal SIGTERM`, `ENOENT`: the timeline's status text. */
export function describeOutcome(outcome: ChildOutcome): string {
  if (!outcome.spawned) return outcome.error?.code ?? 'not started';
  if (outcome.running) return 'still running at exit';
  if (outcome.signal) return `signal ${outcome.signal}`;
  return outcome.exitCode === null ? (outcome.error?.code ?? 'no exit') : `exit ${outcome.exitCode}`;
}
