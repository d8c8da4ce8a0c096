import { sha256Hex } from '@tracetape/core';

/**
 * A chunked payload's row in the payload table: its Hash is the whole payload's SHA-256 (what a
 * span refers to), and its Data lists the chunk keys in order under this header. A payload row is
 * told from a manifest by its hash: a payload's Data hashes to its Hash, a manifest's does not.
 */
export const MANIFEST_HEADER = 'tracetape-chunks:v1';

/** Chunk keys are 128 bits of SHA-256: reassembly checks the whole payload's full hash anyway. */
export function chunkKey(chunk: string): string {
  return sha256Hex(chunk).slice(0, 32);
}

export function encodeManifest(keys: readonly string[]): string {
  return [MANIFEST_HEADER, ...keys].join('\n');
}

/** The chunk keys when `data` is the manifest stored under `hash`; undefined when it is the payload itself. */
export function decodeManifest(hash: string, data: string): string[] | undefined {
  if (!data.startsWith(MANIFEST_HEADER + '\n')) return undefined;
  if (sha256Hex(data) === hash) return undefined;
  return data.slice(MANIFEST_HEADER.length + 1).split('\n');
}
