import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './hash.js';
import { normalizeRequest, type NormalizeOptions, type RawRequest } from './normalize.js';
import type { Redactor } from './redact.js';
import type { NormalizedRequest } from './tape.js';

/** A call's identity on a tape: what may be stored, what is compared, and the input hash. */
export interface RequestKey<Redacted, Normalized> {
  /** The request with its secrets replaced: the only form of it that is stored. */
  redacted: Redacted;
  /** The redacted request without what varies from run to run: what a replay is compared against. */
  normalized: Normalized;
  /** The canonical JSON of `normalized` (keys sorted at every depth): what the hash is of. */
  canonical: string;
  /** Hex SHA-256 of `canonical`: the input hash. */
  hash: string;
}

/** How one kind of boundary call is redacted and normalised; each boundary's folder defines its own. */
export interface RequestKeyRules<Raw, Redacted = Raw, Normalized = Redacted> {
  redact(request: Raw, redactor: Redactor): Redacted;
  normalize(request: Redacted): Normalized;
}

/**
 * The one way every boundary, in capture and in playback alike, turns a request into its key:
 * redact first, so no secret reaches storage or the hash and a rotated key still matches its
 * recording; then normalise, so run-to-run detail does not; then hash.
 */
export function requestKey<Raw, Redacted, Normalized>(
  request: Raw,
  redactor: Redactor,
  rules: RequestKeyRules<Raw, Redacted, Normalized>,
): RequestKey<Redacted, Normalized> {
  const redacted = rules.redact(request, redactor);
  const normalized = rules.normalize(redacted);
  const canonical = canonicalJson(normalized);
  return { redacted, normalized, canonical, hash: sha256Hex(canonical) };
}

/** HTTP's rules: URL, headers and body redacted; method, URL, hashed headers and body normalised. */
export function httpKeyRules(options: NormalizeOptions = {}): RequestKeyRules<RawRequest, RawRequest, NormalizedRequest> {
  return {
    redact: (request, redactor) => redactor.request(request),
    normalize: (request) => normalizeRequest(request, options),
  };
}
