import { canonicalJson, parseJsonExact } from './canonical-json.js';

/** A payload body as stored: UTF-8 text when it is valid text, base64 otherwise. */
export interface EncodedBody {
  encoding: 'utf8' | 'base64';
  data: string;
  /** Size in bytes of the decoded body. */
  size: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `text`, when given, is `bytes` already decoded as UTF-8 (by the redactor): it is not decoded again. */
export function encodeBody(bytes: Uint8Array, text?: string): EncodedBody {
  if (text !== undefined) return { encoding: 'utf8', data: text, size: bytes.byteLength };
  try {
    return { encoding: 'utf8', data: strictUtf8.decode(bytes), size: bytes.byteLength };
  } catch {
    return { encoding: 'base64', data: Buffer.from(bytes).toString('base64'), size: bytes.byteLength };
  }
}

export function decodeBody(body: EncodedBody): Uint8Array<ArrayBuffer> {
  return body.encoding === 'utf8' ? Buffer.from(body.data, 'utf8') : Buffer.from(body.data, 'base64');
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * The body as it enters the hash: JSON re-serialised with sorted keys (so key order and
 * whitespace never cause a divergence), anything else byte for byte. `text`, when given, is the
 * bytes already decoded as UTF-8.
 */
export function canonicalBody(bytes: Uint8Array, contentType: string | undefined, text?: string): EncodedBody {
  const encoded = encodeBody(bytes, text);
  if (encoded.encoding === 'utf8' && (isJsonContentType(contentType) || looksLikeJson(encoded.data))) {
    try {
      const data = canonicalJson(parseJsonExact(encoded.data));
      const body: EncodedBody = { encoding: 'utf8', data, size: Buffer.byteLength(data, 'utf8') };
      canonicalJsonBodies.add(body);
      return body;
    } catch {
      // Not JSON after all: keep the text as sent.
    }
  }
  return encoded;
}

/**
 * Bodies canonicalBody() made from JSON, so a later reader of the same request (the repeat key)
 * knows their text is JSON without parsing it again. Held weakly: a body is marked, not kept.
 */
const canonicalJsonBodies = new WeakSet<EncodedBody>();

/** Whether this very body object is canonical JSON that canonicalBody() produced. */
export function isCanonicalJsonBody(body: EncodedBody): boolean {
  return canonicalJsonBodies.has(body);
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}
