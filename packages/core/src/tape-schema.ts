import { describeJsonValue, JsonShapeChecker, type JsonObject } from './json-shape.js';
import { TapeFormatError } from './errors.js';
import { isProcessPath } from './tape-process.js';
import { BOUNDARY_KINDS, ENDING_SIGNALS } from './tape.js';

/*
 * The structural check of a parsed tape file. Every message names the JSON path of the first
 * thing that is wrong (`entries[2].response.chunks[5].body.encoding must be "utf8" or "base64"`),
 * because a tape that fails here was usually edited by hand and the editor needs to find the spot.
 * Playback trusts the shapes checked here, so a field it reads must be checked here.
 */

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ROOT_KINDS = ['process', 'run', 'server'];
/**
 * A real tape nests a handful of levels (bodies are strings). Checksums and serialisation recurse
 * per level, so a file nested thousands deep would overflow the stack (a RangeError, found by
 * fuzzing) instead of getting a TapeFormatError: refuse it first, without recursing.
 */
const MAX_DEPTH = 64;

class Checker extends JsonShapeChecker {
  constructor(private readonly where: string) {
    super();
  }

  fail(path: string, problem: string): never {
    throw new TapeFormatError(this.where, `${path} ${problem}`);
  }

  object(value: unknown, path: string): JsonObject {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `must be an object, not ${describeJsonValue(value)}`);
    return value as JsonObject;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, `must be a number, not ${describeJsonValue(value)}`);
    return value;
  }

  integer(value: unknown, path: string, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.fail(path, `must be an integer of at least ${min}, not ${describeJsonValue(value)}`);
    }
    return value;
  }

  optional<T>(object: JsonObject, key: string, path: string, check: (value: unknown, path: string) => T): void {
    if (object[key] !== undefined) check(object[key], `${path}.${key}`);
  }

  oneOf(value: unknown, path: string, allowed: readonly string[]): void {
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.fail(path, `must be ${allowed.map((a) => `"${a}"`).join(' or ')}, not ${describeJsonValue(value)}`);
    }
  }
}

/** Checks everything but `format`, `version` and the checksum fields, which parseTape reads first. */
export function checkTapeStructure(tape: JsonObject, where: string): void {
  const c = new Checker(where);
  checkDepth(c, tape);
  if (typeof tape.traceId !== 'string' || !/^[0-9a-f]{32}$/.test(tape.traceId)) {
    c.fail('traceId', `must be 32 lower-case hex characters, not ${describeJsonValue(tape.traceId)}`);
  }
  c.string(tape.serviceName, 'serviceName');
  c.string(tape.rootName, 'rootName');
  c.string(tape.recordedAt, 'recordedAt');
  if (tape.rootSpanId !== undefined) c.string(tape.rootSpanId, 'rootSpanId');
  if (tape.rootKind !== undefined) c.oneOf(tape.rootKind, 'rootKind', ROOT_KINDS);
  c.array(tape.entries, 'entries').forEach((entry, index) => checkEntry(c, entry, `entries[${index}]`));
  if (tape.nondeterminism !== undefined) checkNondeterminism(c, tape.nondeterminism, 'nondeterminism');
  if (tape.inbound !== undefined) checkInbound(c, tape.inbound, 'inbound');
  if (tape.processes !== undefined) checkProcesses(c, tape.processes, 'processes');
  if (tape.rootProcess !== undefined) checkProcessPath(c, tape.rootProcess, 'rootProcess');
  if (tape.incomplete !== undefined) {
    const incomplete = c.object(tape.incomplete, 'incomplete');
    c.string(incomplete.reason, 'incomplete.reason');
    if (incomplete.lostSpans !== undefined && (typeof incomplete.lostSpans !== 'number' || !Number.isInteger(incomplete.lostSpans) || incomplete.lostSpans < 0)) {
      c.fail('incomplete.lostSpans', `must be a whole number, not ${describeJsonValue(incomplete.lostSpans)}`);
    }
  }
}

/** The nesting check alone, for a file read before its structure can be checked (a compact tape before expansion). */
export function checkTapeDepth(tape: JsonObject, where: string): void {
  checkDepth(new Checker(where), tape);
}

function checkDepth(c: Checker, tape: JsonObject): void {
  const stack: Array<{ value: object; path: string; depth: number }> = [{ value: tape, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (depth >= MAX_DEPTH) c.fail(path, `nests deeper than ${MAX_DEPTH} levels`);
    // Only containers go on the stack: a tape holds long arrays of numbers, and they cannot nest.
    if (Array.isArray(value)) {
      value.forEach((item, i) => isContainer(item) && stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
    } else {
      for (const [key, item] of Object.entries(value)) if (isContainer(item)) stack.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

function checkEntry(c: Checker, value: unknown, path: string): void {
  const entry = c.object(value, path);
  c.integer(entry.step, `${path}.step`, 1);
  c.oneOf(entry.kind, `${path}.kind`, BOUNDARY_KINDS);
  if (entry.sideEffect !== undefined && typeof entry.sideEffect !== 'boolean') c.fail(`${path}.sideEffect`, `must be true or false, not ${describeJsonValue(entry.sideEffect)}`);
  c.string(entry.spanId, `${path}.spanId`);
  c.string(entry.spanName, `${path}.spanName`);
  c.string(entry.startTime, `${path}.startTime`);
  c.number(entry.durationMs, `${path}.durationMs`);
  if (typeof entry.inputHash !== 'string' || !HEX_SHA256.test(entry.inputHash)) {
    c.fail(`${path}.inputHash`, `must be a hex SHA-256 (64 lower-case hex characters), not ${describeJsonValue(entry.inputHash)}`);
  }
  checkCapturedRequest(c, entry.request, `${path}.request`);
  checkResponse(c, entry.response, `${path}.response`);
  if (entry.process !== undefined) checkProcessPath(c, entry.process, `${path}.process`);
  if (entry.llm !== undefined) {
    const llm = c.object(entry.llm, `${path}.llm`);
    c.string(llm.provider, `${path}.llm.provider`);
    c.string(llm.operation, `${path}.llm.operation`);
    c.optional(llm, 'requestModel', `${path}.llm`, (v, p) => c.string(v, p));
    c.optional(llm, 'responseModel', `${path}.llm`, (v, p) => c.string(v, p));
    c.optional(llm, 'inputTokens', `${path}.llm`, (v, p) => c.number(v, p));
    c.optional(llm, 'outputTokens', `${path}.llm`, (v, p) => c.number(v, p));
  }
  if (entry.override !== undefined) c.string(c.object(entry.override, `${path}.override`).source, `${path}.override.source`);
}

function checkCapturedRequest(c: Checker, value: unknown, path: string): JsonObject {
  const request = c.object(value, path);
  const normalized = c.object(request.normalized, `${path}.normalized`);
  c.string(normalized.method, `${path}.normalized.method`);
  c.string(normalized.url, `${path}.normalized.url`);
  const headers = c.object(normalized.headers, `${path}.normalized.headers`);
  for (const [name, header] of Object.entries(headers)) c.string(header, `${path}.normalized.headers[${JSON.stringify(name)}]`);
  if (normalized.body !== undefined) checkBody(c, normalized.body, `${path}.normalized.body`);
  checkHeaderPairs(c, request.headers, `${path}.headers`);
  return request;
}

function checkResponse(c: Checker, value: unknown, path: string): void {
  const response = c.object(value, path);
  c.integer(response.status, `${path}.status`, 0);
  c.string(response.statusText, `${path}.statusText`);
  checkHeaderPairs(c, response.headers, `${path}.headers`);
  if (response.body !== undefined) checkBody(c, response.body, `${path}.body`);
  if (response.chunks !== undefined) {
    c.array(response.chunks, `${path}.chunks`).forEach((value, index) => {
      const chunkPath = `${path}.chunks[${index}]`;
      const chunk = c.object(value, chunkPath);
      c.number(chunk.offsetMs, `${chunkPath}.offsetMs`);
      checkBody(c, chunk.body, `${chunkPath}.body`);
    });
  }
  c.optional(response, 'contentEncoding', path, (v, p) => c.string(v, p));
  c.optional(response, 'bodyStillEncoded', path, (v, p) => c.boolean(v, p));
  c.optional(response, 'truncated', path, (v, p) => c.boolean(v, p));
  c.boolean(response.complete, `${path}.complete`);
  c.optional(response, 'error', path, (v, p) => c.string(v, p));
  c.optional(response, 'unanswered', path, (v, p) => {
    const unanswered = c.object(v, p);
    c.optional(unanswered, 'signal', p, (signal, at) => {
      if (!(ENDING_SIGNALS as readonly unknown[]).includes(signal)) c.fail(at, `must be one of ${ENDING_SIGNALS.join(', ')}, not ${describeJsonValue(signal)}`);
    });
    c.optional(unanswered, 'signalAt', p, (signalAt, at) => c.string(signalAt, at));
  });
}

function checkHeaderPairs(c: Checker, value: unknown, path: string): void {
  c.array(value, path).forEach((pair, index) => {
    const pairPath = `${path}[${index}]`;
    if (!Array.isArray(pair) || pair.length !== 2) c.fail(pairPath, `must be a [name, value] pair, not ${describeJsonValue(pair)}`);
    c.string(pair[0], `${pairPath}[0]`);
    c.string(pair[1], `${pairPath}[1]`);
  });
}

function checkBody(c: Checker, value: unknown, path: string): void {
  const body = c.object(value, path);
  c.oneOf(body.encoding, `${path}.encoding`, ['utf8', 'base64']);
  const data = c.string(body.data, `${path}.data`);
  if (body.encoding === 'base64' && !BASE64.test(data)) c.fail(`${path}.data`, 'is not base64');
  c.integer(body.size, `${path}.size`, 0);
}

function checkNondeterminism(c: Checker, value: unknown, path: string): void {
  const record = c.object(value, path);
  if (record.clock !== undefined) {
    const clock = c.object(record.clock, `${path}.clock`);
    c.number(clock.start, `${path}.clock.start`);
    c.array(clock.deltas, `${path}.clock.deltas`).forEach((d, i) => c.number(d, `${path}.clock.deltas[${i}]`));
  }
  if (record.random !== undefined) c.array(record.random, `${path}.random`).forEach((r, i) => c.number(r, `${path}.random[${i}]`));
  if (record.uuid !== undefined) c.array(record.uuid, `${path}.uuid`).forEach((u, i) => c.string(u, `${path}.uuid[${i}]`));
  if (record.bytes !== undefined) {
    c.array(record.bytes, `${path}.bytes`).forEach((b, i) => {
      if (!BASE64.test(c.string(b, `${path}.bytes[${i}]`))) c.fail(`${path}.bytes[${i}]`, 'is not base64');
    });
  }
}

function checkProcesses(c: Checker, value: unknown, path: string): void {
  for (const [processPath, item] of Object.entries(c.object(value, path))) {
    const where = `${path}[${JSON.stringify(processPath)}]`;
    checkProcessPath(c, processPath, `${where} (its key)`);
    const process = c.object(item, where);
    c.string(process.runName, `${where}.runName`);
    if (process.nondeterminism !== undefined) checkNondeterminism(c, process.nondeterminism, `${where}.nondeterminism`);
  }
}

/** `0`, then one dot-separated step per generation: a child's number, or `w` and a worker's. */
function checkProcessPath(c: Checker, value: unknown, path: string): void {
  if (!isProcessPath(c.string(value, path))) c.fail(path, `must be a process path such as "0", "0.1" or "0.w2", not ${describeJsonValue(value)}`);
}

function checkInbound(c: Checker, value: unknown, path: string): void {
  const inbound = c.object(value, path);
  const request = checkCapturedRequest(c, inbound.request, `${path}.request`);
  c.string(request.target, `${path}.request.target`);
  if (request.body !== undefined) checkBody(c, request.body, `${path}.request.body`);
  c.optional(request, 'truncated', `${path}.request`, (v, p) => c.boolean(v, p));
  c.boolean(request.complete, `${path}.request.complete`);
  checkResponse(c, inbound.response, `${path}.response`);
}
