import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { NormalizedRequest } from './tape.js';

/** The input hash: hex SHA-256 of the canonical JSON of a normalised request. */
export function inputHash(request: NormalizedRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
