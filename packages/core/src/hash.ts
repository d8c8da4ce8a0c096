import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { NormalizedRequest } from './tape.js';

/** The input hash: hex SHA-256 of the canonical JSON of a normalised request. */
export function inputHash(request: NormalizedRequest): string {
  return sha256Hex(canonicalJson(request));
}

/**
 * Hex SHA-256. One-shot `crypto.hash()` rather than a Hash object: capture hashes several payloads
 * per call, and the object (and its native context) per hash measured 0.5 µs of 5.8 on 8 KB.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}
