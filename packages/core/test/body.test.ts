import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalBody, decodeBody, encodeBody, isJsonContentType } from '@tracetape/core';

function roundTrip(bytes: Uint8Array): Buffer {
  return Buffer.from(decodeBody(encodeBody(bytes)));
}

describe('body encoding', () => {
  it('stores valid UTF-8 as text and gives back the same bytes', () => {
    const text = 'héllo wörld — 你好 🎉\n{"k": "v"}\u0000';
    const bytes = Buffer.from(text, 'utf8');
    const encoded = encodeBody(bytes);
    expect(encoded).toEqual({ encoding: 'utf8', data: text, size: bytes.byteLength });
    expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });

  it('stores invalid UTF-8 as base64 and gives back the same bytes', () => {
    const cases = [
      Uint8Array.from([0xff, 0xfe, 0xfd]),
      Uint8Array.from([0x68, 0x69, 0xc3]), // truncated 2-byte sequence
      Uint8Array.from([0xed, 0xa0, 0x80]), // encoded surrogate
      Uint8Array.from([0xc0, 0xaf]), // overlong encoding of '/'
    ];
    for (const bytes of cases) {
      const encoded = encodeBody(bytes);
      expect(encoded.encoding).toBe('base64');
      expect(encoded.size).toBe(bytes.byteLength);
      expect(roundTrip(bytes).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('keeps a UTF-8 byte order mark', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69]);
    const encoded = encodeBody(bytes);
    expect(encoded.size).toBe(5);
    expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });

  it('round-trips a 3 MB random buffer byte for byte', () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const encoded = encodeBody(bytes);
    expect(encoded.encoding).toBe('base64');
    expect(encoded.size).toBe(bytes.byteLength);
    expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });

  it('encodes only the viewed bytes of a subarray', () => {
    const backing = Buffer.from('xxHELLOyy');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 5);
    expect(encodeBody(view)).toEqual({ encoding: 'utf8', data: 'HELLO', size: 5 });
    const binary = Buffer.from([1, 0xff, 2, 3]);
    const binaryView = binary.subarray(1, 3);
    expect(roundTrip(binaryView).equals(Buffer.from([0xff, 2]))).toBe(true);
  });

  it('round-trips an empty body', () => {
    expect(encodeBody(new Uint8Array())).toEqual({ encoding: 'utf8', data: '', size: 0 });
    expect(roundTrip(new Uint8Array()).byteLength).toBe(0);
  });
});

describe('isJsonContentType / canonicalBody', () => {
  it('recognises JSON media types regardless of parameters and case', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/problem+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/jsonl')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('sorts JSON keys; the size is that of the canonical text, so whitespace never enters the hash', () => {
    const sent = Buffer.from('{ "b": 1, "a": [ {"d": 2, "c": 3} ] }');
    expect(canonicalBody(sent, 'application/json')).toEqual({ encoding: 'utf8', data: '{"a":[{"c":3,"d":2}],"b":1}', size: 27 });
  });

  it('leaves non-JSON text untouched', () => {
    const sent = Buffer.from('b=1&a=2');
    expect(canonicalBody(sent, 'application/x-www-form-urlencoded')).toEqual({ encoding: 'utf8', data: 'b=1&a=2', size: 7 });
  });
});
