import { createHash, hash } from 'node:crypto';
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

/**
 * Hex SHA-256 of the parts written one after another, without joining them first. Joining a
 * body-sized part into one string only to hash it is a copy of the body in the young generation,
 * and on a recording service each scavenge copies the live set again: allocation volume is
 * garbage-collection time (BENCHMARKS.md, session 27). Each part is UTF-8 encoded on its own, so a
 * surrogate pair must not be split between two parts.
 */
export function sha256HexOfParts(parts: readonly string[]): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part, 'utf8');
  return digest.digest('hex');
}
