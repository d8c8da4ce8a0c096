import { canonicalJson } from './canonical-json.js';
import { TapeIntegrityError } from './errors.js';
import { sha256Hex } from './hash.js';
import type { PayloadIndex } from './tape-payloads.js';

/*
 * Tape checksums. A tape file carries three signature fields:
 *
 *   checksum        "sha256:<hex>" of the canonical JSON (keys sorted, no whitespace) of the whole
 *                   tape without `checksum` itself, so it also covers the two lists below;
 *   entryChecksums  one "sha256:<hex>" per entry, of that entry's canonical JSON;
 *   fieldChecksums  one per other top-level field (traceId, nondeterminism, inbound…).
 *
 * The whole-tape checksum is what decides; the per-entry and per-field digests exist only to say
 * where a tape that fails it was changed ("entries[3] (step 4) was changed"). Canonical JSON means
 * re-indenting the file or reordering keys does not break it; changing a value does.
 * A checksum detects accidents and edits, it does not authenticate: anyone can re-sign a tape.
 *
 * A compact tape (version 2 or 3) is signed as written: entries hold payload references, and
 * `payloads` is one more field. Each payload is keyed by the SHA-256 of its content, so an edited
 * payload is found by its key and reported with every step that uses it.
 */

export const CHECKSUM_PREFIX = 'sha256:';
const SIGNATURE_FIELDS = ['checksum', 'entryChecksums', 'fieldChecksums'] as const;

export interface TapeSignature {
  checksum: string;
  entryChecksums: string[];
  fieldChecksums: Record<string, string>;
}

type JsonObject = Record<string, unknown>;

function digest(value: unknown): string {
  return CHECKSUM_PREFIX + sha256Hex(canonicalJson(value));
}

/** The tape's own fields, signature fields dropped. */
export function withoutSignature(tape: JsonObject): JsonObject {
  const rest: JsonObject = { ...tape };
  for (const field of SIGNATURE_FIELDS) delete rest[field];
  return rest;
}

/** Signs a plain-JSON tape (as JSON.parse returns it): the tape plus its signature fields. */
export function signTape(plain: JsonObject): JsonObject & TapeSignature {
  const body = withoutSignature(plain);
  const entries = Array.isArray(body.entries) ? body.entries : [];
  const fieldChecksums: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (key !== 'entries') fieldChecksums[key] = digest(value);
  const unsigned = { ...body, entryChecksums: entries.map(digest), fieldChecksums };
  return { ...unsigned, checksum: digest(unsigned) };
}

export interface IntegrityOptions {
  allowUnsigned?: boolean | undefined;
  allowModified?: boolean | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Checks a structurally valid tape against its checksum.
 * @throws TapeIntegrityError when it is unsigned or modified and the options do not allow that
 */
export function verifyTapeChecksum(tape: JsonObject, where: string, options: IntegrityOptions, payloads?: PayloadIndex): void {
  if (tape.checksum === undefined) {
    const problem = 'it carries no checksum (written by hand, or by a tracetape older than tape checksums)';
    if (!options.allowUnsigned && !options.allowModified) throw new TapeIntegrityError(where, 'unsigned', problem);
    options.onWarning?.(`${where}: ${problem}; replaying it as it is`);
    return;
  }
  const { checksum } = tape;
  if (typeof checksum === 'string' && checksum === digest(withoutChecksum(tape))) return;
  const { problem, entryIndex } = locateChange(tape, payloads);
  if (!options.allowModified) throw new TapeIntegrityError(where, 'modified', problem, entryIndex);
  options.onWarning?.(`${where}: ${problem}; replaying it as modified (--allow-modified-tape)`);
}

function withoutChecksum(tape: JsonObject): JsonObject {
  const { checksum: _checksum, ...rest } = tape;
  return rest;
}

/** Says where a tape that fails its checksum was changed, as far as the per-part digests tell. */
function locateChange(tape: JsonObject, payloads: PayloadIndex | undefined): { problem: string; entryIndex?: number } {
  const mismatch = 'its checksum does not match its content';
  if (typeof tape.checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(tape.checksum)) {
    return { problem: `"checksum" must be "sha256:" and 64 hex characters, not ${JSON.stringify(tape.checksum)?.slice(0, 80)}` };
  }
  const entries = tape.entries as unknown[];
  const signed = tape.entryChecksums;
  if (!Array.isArray(signed)) return { problem: `${mismatch} ("entryChecksums" is missing, so the change cannot be located)` };
  const changed: number[] = [];
  for (let i = 0; i < Math.max(entries.length, signed.length); i++) {
    if (i >= entries.length || i >= signed.length || signed[i] !== digest(entries[i])) changed.push(i);
  }
  // An edited payload changes every step that uses it, though their entries still read the same.
  const changedPayloads = payloads?.changed() ?? [];
  const payloadChange = changedPayloads[0];
  if (payloadChange && (changed.length === 0 || (payloadChange.entryIndexes[0] ?? Infinity) < changed[0]!)) {
    const { hash, entryIndexes } = payloadChange;
    const users =
      entryIndexes.length === 0
        ? 'no step uses it'
        : `it is used by ${entryIndexes.length === 1 ? 'step' : 'steps'} ${stepRanges(entryIndexes.map((i) => entries[i]))} (entries[${entryIndexes[0]}]${entryIndexes.length > 1 ? ' first' : ''})`;
    return {
      problem:
        `${mismatch}: payloads["${hash}"] was changed (its content no longer hashes to its key), and ${users}` +
        (changedPayloads.length > 1 ? ` (and ${changedPayloads.length - 1} more changed payload(s))` : ''),
      ...(entryIndexes.length > 0 ? { entryIndex: entryIndexes[0]! } : {}),
    };
  }
  if (changed.length > 0) {
    const first = changed[0]!;
    const more = changed.length > 1 ? ` (and ${changed.length - 1} more entr${changed.length === 2 ? 'y' : 'ies'})` : '';
    let what: string;
    if (first >= entries.length) what = `entries[${first}] was removed (signed with ${signed.length} entries, now ${entries.length})`;
    else if (first >= signed.length) what = `entries[${first}] (step ${stepOf(entries[first])}) was added (signed with ${signed.length} entries, now ${entries.length})`;
    else what = `entries[${first}] (step ${stepOf(entries[first])}) was changed`;
    return { problem: `${mismatch}: ${what}${more}`, entryIndex: first };
  }
  const fields = tape.fieldChecksums;
  if (fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
    const signedFields = fields as Record<string, unknown>;
    const current = withoutSignature(tape);
    for (const key of new Set([...Object.keys(current), ...Object.keys(signedFields)])) {
      if (key === 'entries') continue;
      if (!(key in signedFields)) return { problem: `${mismatch}: field "${key}" was added` };
      if (!(key in current)) return { problem: `${mismatch}: field "${key}" was removed` };
      if (signedFields[key] !== digest(current[key])) return { problem: `${mismatch}: field "${key}" was changed` };
    }
  }
  return { problem: `${mismatch}: the checksum fields themselves were edited` };
}

/** Step numbers with runs joined: `2, 5-9, 12`. */
function stepRanges(entries: unknown[]): string {
  const steps = entries.map((entry) => Number(stepOf(entry)));
  if (steps.some(Number.isNaN)) return entries.map(stepOf).join(', ');
  const ranges: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    let j = i;
    while (j + 1 < steps.length && steps[j + 1] === steps[j]! + 1) j++;
    ranges.push(j > i ? `${steps[i]}-${steps[j]}` : String(steps[i]));
    i = j;
  }
  return ranges.join(', ');
}

function stepOf(entry: unknown): string {
  const step = (entry as { step?: unknown }).step;
  return typeof step === 'number' ? String(step) : '?';
}
