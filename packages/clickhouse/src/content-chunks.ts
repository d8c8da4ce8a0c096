/**
 * Content-defined chunking of payload text (a gear rolling hash with normalised chunk sizes, as
 * in FastCDC). Cut points depend only on the few dozen characters before them, so text shared by
 * two payloads (an agent resends its whole conversation on every model call) is cut into the same
 * chunks in both, wherever it sits, and each chunk is stored once.
 *
 * Works on UTF-16 code units rather than UTF-8 bytes: payload attributes are JS strings, and a
 * cut never falls inside a surrogate pair, so every chunk is valid text on its own.
 */

export interface ChunkSizes {
  /** No cut before this many characters into a chunk. */
  min: number;
  /** Where the cut condition loosens (normalised chunking keeps sizes near this). */
  avg: number;
  /** Forced cut at this many characters. */
  max: number;
}

// Measured on a 50-turn agent conversation (bench/storage-ratio.mjs): ~1 KB chunks stored 66 KiB of
// payloads, ~4 KB chunks 56 KiB. ClickHouse's compression already folds the near-duplicate chunks
// around each edit within a block, so smaller chunks mostly add keys and manifest lines.
export const DEFAULT_CHUNK_SIZES: Readonly<ChunkSizes> = { min: 1024, avg: 4096, max: 16384 };

// Fixed forever in spirit: changing the table only costs deduplication against older chunks.
const GEAR = (() => {
  const table = new Uint32Array(256);
  let state = 0x9e3779b9;
  for (let i = 0; i < table.length; i++) {
    // splitmix32
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    table[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return table;
})();

// High bits: with h = (h << 1) + gear, bit k depends on the last k + 1 characters only, so the
// top bits see the longest window.
function highMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** End offsets (exclusive) of the chunks of `text`; the last one is `text.length`. */
export function chunkEnds(text: string, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): number[] {
  const bits = Math.round(Math.log2(sizes.avg));
  const strict = highMask(bits + 2);
  const loose = highMask(bits - 2);
  const ends: number[] = [];
  let start = 0;
  while (text.length - start > sizes.min) {
    const limit = Math.min(text.length, start + sizes.max);
    const normal = Math.min(limit, start + sizes.avg);
    let hash = 0;
    let cut = limit;
    let i = start + sizes.min;
    for (; i < normal; i++) {
      const code = text.charCodeAt(i);
      hash = ((hash << 1) + GEAR[(code ^ (code >>> 8)) & 0xff]!) >>> 0;
      if ((hash & strict) === 0) break;
    }
    if (i < normal) cut = i + 1;
    else {
      for (; i < limit; i++) {
        const code = text.charCodeAt(i);
        hash = ((hash << 1) + GEAR[(code ^ (code >>> 8)) & 0xff]!) >>> 0;
        if ((hash & loose) === 0) break;
      }
      if (i < limit) cut = i + 1;
    }
    if (cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut++;
    ends.push(cut);
    start = cut;
  }
  if (start < text.length || ends.length === 0) ends.push(text.length);
  return ends;
}

export function splitIntoChunks(text: string, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (const end of chunkEnds(text, sizes)) {
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
