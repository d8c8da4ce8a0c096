import { describe, expect, it } from 'vitest';
import { DEFAULT_HASH_HEADERS, inputHash, normalizeRequest, normalizeUrl, type NormalizeOptions, type RawRequest } from '@tracetape/core';

function raw(
  method: string,
  url: string,
  headers: Record<string, string> | Array<[string, string]> = {},
  body?: string | Uint8Array,
): RawRequest {
  const request: RawRequest = {
    method,
    url,
    headers: Array.isArray(headers) ? headers : Object.entries(headers),
  };
  if (body !== undefined) request.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return request;
}

function hashOf(request: RawRequest, options?: NormalizeOptions): string {
  return inputHash(normalizeRequest(request, options));
}

const JSON_CT = { 'content-type': 'application/json' };

describe('normalizeUrl', () => {
  it('lower-cases scheme and host, drops default ports and fragments, sorts the query', () => {
    expect(normalizeUrl('HTTPS://API.Example.COM:443/v1/Chat?b=2&a=1#section')).toBe('https://api.example.com/v1/Chat?a=1&b=2');
    expect(normalizeUrl('http://example.com:80/x')).toBe('http://example.com/x');
    // A non-default port is part of the identity of the request.
    expect(normalizeUrl('http://example.com:8080/x')).toBe('http://example.com:8080/x');
    // Path case is significant.
    expect(normalizeUrl('http://example.com/A')).not.toBe(normalizeUrl('http://example.com/a'));
  });

  it('orders repeated parameters by value and keeps every one of them', () => {
    expect(normalizeUrl('http://h/p?tag=z&a=1&tag=b')).toBe('http://h/p?a=1&tag=b&tag=z');
  });
});

describe('input hash: equivalent requests hash the same', () => {
  it('is a hex SHA-256', () => {
    expect(hashOf(raw('GET', 'http://h/p'))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores query parameter order', () => {
    expect(hashOf(raw('GET', 'http://h/search?q=cats&page=2&size=10'))).toBe(
      hashOf(raw('GET', 'http://h/search?size=10&q=cats&page=2')),
    );
  });

  it('ignores JSON key order and whitespace at every depth', () => {
    const a = '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"options":{"t":0.5,"n":1}}';
    const b = `{
      "options": { "n": 1, "t": 0.5 },
      "messages": [ { "content": "hi", "role": "user" } ],
      "model": "gpt"
    }`;
    expect(hashOf(raw('POST', 'http://h/v1/chat', JSON_CT, a))).toBe(hashOf(raw('POST', 'http://h/v1/chat', JSON_CT, b)));
  });

  it('canonicalises a JSON-looking body even without a JSON content-type', () => {
    expect(hashOf(raw('POST', 'http://h/p', {}, '{"a":1,"b":2}'))).toBe(hashOf(raw('POST', 'http://h/p', {}, '{ "b": 2, "a": 1 }')));
  });

  it('ignores header name case', () => {
    expect(hashOf(raw('POST', 'http://h/p', { 'Content-Type': 'application/json' }, '{}'))).toBe(
      hashOf(raw('POST', 'http://h/p', { 'content-type': 'application/json' }, '{}')),
    );
  });

  it('treats content-type spelling variants as the same request', () => {
    const variants = [
      'application/json;charset=UTF-8',
      'application/json; charset=utf-8',
      'Application/JSON ; Charset=UTF-8',
      ' application/json;  charset=utf-8 ',
    ];
    const hashes = variants.map((ct) => hashOf(raw('POST', 'http://h/p', { 'content-type': ct }, '{"x":1}')));
    expect(new Set(hashes).size).toBe(1);
    expect(normalizeRequest(raw('POST', 'http://h/p', { 'content-type': variants[0]! }, '{}')).headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('ignores default ports, host case, fragments and method case', () => {
    const base = hashOf(raw('GET', 'https://api.example.com/v1/models?x=1'));
    expect(hashOf(raw('GET', 'https://api.example.com:443/v1/models?x=1'))).toBe(base);
    expect(hashOf(raw('GET', 'https://API.example.com/v1/models?x=1#frag'))).toBe(base);
    expect(hashOf(raw('get', 'https://api.example.com/v1/models?x=1'))).toBe(base);
    expect(hashOf(raw('GET', 'http://h:80/a'))).toBe(hashOf(raw('GET', 'http://h/a')));
  });

  it('keeps volatile headers out of the hash and out of the normalised request', () => {
    const quiet = raw('POST', 'http://h/v1/chat', JSON_CT, '{"q":1}');
    const noisy = raw(
      'POST',
      'http://h/v1/chat',
      {
        'content-type': 'application/json',
        date: 'Tue, 01 Jan 2030 00:00:00 GMT',
        'user-agent': 'agent/9.9',
        'x-request-id': 'req_123',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        authorization: 'Bearer sk-secret',
        Cookie: 'session=abc',
      },
      '{"q":1}',
    );
    expect(hashOf(noisy)).toBe(hashOf(quiet));
    const normalized = normalizeRequest(noisy);
    expect(Object.keys(normalized.headers)).toEqual([...DEFAULT_HASH_HEADERS]);
    expect(JSON.stringify(normalized)).not.toContain('sk-secret');
  });

  it('drops an empty body and an empty query string', () => {
    expect(hashOf(raw('POST', 'http://h/p', {}, new Uint8Array()))).toBe(hashOf(raw('POST', 'http://h/p')));
    expect(hashOf(raw('GET', 'http://h/p?'))).toBe(hashOf(raw('GET', 'http://h/p')));
  });
});

describe('input hash: different requests hash differently', () => {
  const base = raw('POST', 'http://h/v1/chat?model=a', JSON_CT, '{"messages":[{"content":"hi"}]}');
  const baseHash = hashOf(base);

  it('a different JSON body value', () => {
    expect(hashOf(raw('POST', 'http://h/v1/chat?model=a', JSON_CT, '{"messages":[{"content":"ho"}]}'))).not.toBe(baseHash);
    // Type matters: 1 and "1" are different requests.
    expect(hashOf(raw('POST', 'http://h/p', JSON_CT, '{"n":1}'))).not.toBe(hashOf(raw('POST', 'http://h/p', JSON_CT, '{"n":"1"}')));
    // Array order matters.
    expect(hashOf(raw('POST', 'http://h/p', JSON_CT, '[1,2]'))).not.toBe(hashOf(raw('POST', 'http://h/p', JSON_CT, '[2,1]')));
  });

  it('JSON integers beyond 2^53 that differ (64-bit IDs)', () => {
    // Two different snowflake-style IDs must not collapse to one double and collide.
    const a = hashOf(raw('POST', 'http://h/p', JSON_CT, '{"id":12345678901234567890}'));
    const b = hashOf(raw('POST', 'http://h/p', JSON_CT, '{"id":12345678901234567891}'));
    expect(a).not.toBe(b);
  });

  it('a different method, path, query value, host or port', () => {
    expect(hashOf({ ...base, method: 'PUT' })).not.toBe(baseHash);
    expect(hashOf({ ...base, url: 'http://h/v1/chat2?model=a' })).not.toBe(baseHash);
    expect(hashOf({ ...base, url: 'http://h/v1/chat?model=b' })).not.toBe(baseHash);
    expect(hashOf({ ...base, url: 'http://other/v1/chat?model=a' })).not.toBe(baseHash);
    expect(hashOf({ ...base, url: 'http://h:81/v1/chat?model=a' })).not.toBe(baseHash);
    expect(hashOf({ ...base, url: 'https://h/v1/chat?model=a' })).not.toBe(baseHash);
  });

  it('a different content-type', () => {
    expect(hashOf(raw('POST', 'http://h/p', { 'content-type': 'text/plain' }, 'x'))).not.toBe(
      hashOf(raw('POST', 'http://h/p', { 'content-type': 'text/csv' }, 'x')),
    );
  });

  it('hashes non-JSON text byte for byte (whitespace counts)', () => {
    const ct = { 'content-type': 'text/plain' };
    expect(hashOf(raw('POST', 'http://h/p', ct, 'a b'))).not.toBe(hashOf(raw('POST', 'http://h/p', ct, 'a  b')));
    expect(hashOf(raw('POST', 'http://h/p', ct, 'a b\n'))).not.toBe(hashOf(raw('POST', 'http://h/p', ct, 'a b')));
    // Invalid JSON under a JSON content-type is kept as sent, not rejected.
    const broken = normalizeRequest(raw('POST', 'http://h/p', JSON_CT, '{"a": 1,'));
    expect(broken.body).toEqual({ encoding: 'utf8', data: '{"a": 1,', size: 8 });
  });

  it('hashes binary bodies byte for byte', () => {
    const ct = { 'content-type': 'application/octet-stream' };
    const a = Uint8Array.from([0xff, 0x00, 0x80, 0x01]);
    const b = Uint8Array.from([0xff, 0x00, 0x80, 0x02]);
    expect(hashOf(raw('POST', 'http://h/p', ct, a))).not.toBe(hashOf(raw('POST', 'http://h/p', ct, b)));
    expect(hashOf(raw('POST', 'http://h/p', ct, a))).toBe(hashOf(raw('POST', 'http://h/p', ct, Uint8Array.from(a))));
    expect(normalizeRequest(raw('POST', 'http://h/p', ct, a)).body).toEqual({
      encoding: 'base64',
      data: Buffer.from(a).toString('base64'),
      size: 4,
    });
  });
});

describe('hashHeaders option', () => {
  it('puts a configured header (any case) into the hash and the normalised request', () => {
    const options = { hashHeaders: ['X-Tenant'] };
    const a = raw('GET', 'http://h/p', { 'x-tenant': 'acme' });
    const b = raw('GET', 'http://h/p', { 'X-TENANT': 'globex' });
    // Without the option the header is volatile...
    expect(hashOf(a)).toBe(hashOf(b));
    // ...with it, it identifies the request.
    expect(hashOf(a, options)).not.toBe(hashOf(b, options));
    expect(hashOf(a, options)).toBe(hashOf(raw('GET', 'http://h/p', { 'X-Tenant': 'acme' }), options));
    expect(normalizeRequest(a, options).headers).toEqual({ 'x-tenant': 'acme' });
  });

  it('sorts hashed headers so the order they were sent in does not matter', () => {
    const options = { hashHeaders: ['content-type', 'x-b', 'x-a'] };
    const one = raw('GET', 'http://h/p', [
      ['x-b', '2'],
      ['x-a', '1'],
    ]);
    const two = raw('GET', 'http://h/p', [
      ['X-A', '1'],
      ['X-B', '2'],
    ]);
    expect(hashOf(one, options)).toBe(hashOf(two, options));
    expect(Object.keys(normalizeRequest(one, options).headers)).toEqual(['x-a', 'x-b']);
  });
});
