import zlib from 'node:zlib';

type Codec = { decode(data: Buffer): Buffer; encode(data: Buffer): Buffer };

const CODECS: Record<string, Codec> = {
  gzip: { decode: (d) => zlib.gunzipSync(d), encode: (d) => zlib.gzipSync(d) },
  'x-gzip': { decode: (d) => zlib.gunzipSync(d), encode: (d) => zlib.gzipSync(d) },
  deflate: { decode: (d) => zlib.inflateSync(d), encode: (d) => zlib.deflateSync(d) },
  br: { decode: (d) => zlib.brotliDecompressSync(d), encode: (d) => zlib.brotliCompressSync(d) },
  zstd: { decode: (d) => zlib.zstdDecompressSync(d), encode: (d) => zlib.zstdCompressSync(d) },
};

/** Codings applied in order, as listed in a content-encoding header; `identity` and empty mean none. */
export function parseContentEncoding(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

export function isSupportedEncoding(codings: string[]): boolean {
  return codings.every((coding) => coding in CODECS);
}

export function decodeContent(data: Buffer, codings: string[]): Buffer {
  return [...codings].reverse().reduce((body, coding) => CODECS[coding]!.decode(body), data);
}

export function encodeContent(data: Buffer, codings: string[]): Buffer {
  return codings.reduce((body, coding) => CODECS[coding]!.encode(body), data);
}
