import { describe, expect, it } from 'vitest';
import { httpKeyRules, inputHash, REDACTED, Redactor, requestKey, type RequestKeyRules } from '../src/index.js';

const request = (key: string) => ({
  method: 'post',
  url: `https://API.example.com:443/v1/chat?b=2&api_key=${key}&a=1`,
  headers: [
    ['Content-Type', 'application/json'],
    ['Authorization', `Bearer ${key}`],
    ['X-Request-Id', Math.random().toString()],
  ] as Array<[string, string]>,
  body: Buffer.from(JSON.stringify({ model: 'gpt', password: key })),
});

describe('requestKey', () => {
  const redactor = new Redactor({ bodyPaths: ['$.password'] });

  it('redacts before it normalises and hashes: no secret in what is stored, compared or hashed', () => {
    const key = requestKey(request('sk-live-abc123'), redactor, httpKeyRules());
    expect(JSON.stringify(key)).not.toContain('sk-live-abc123');
    expect(key.redacted.headers).toContainEqual(['Authorization', REDACTED]);
    expect(key.normalized).toMatchObject({ method: 'POST', url: expect.stringContaining('https://api.example.com/v1/chat?a=1&api_key=') });
    expect(key.hash).toBe(inputHash(key.normalized));
  });

  it('decodes the body once: the redactor hands its text to the normaliser, redacted, with the same hash as decoding again', () => {
    const redacted = redactor.request(request('sk-live-abc123'));
    expect(redacted.bodyText).toBe(Buffer.from(redacted.body!).toString('utf8'));
    expect(redacted.bodyText).not.toContain('sk-live-abc123');
    const rules = httpKeyRules();
    const decodedAgain = rules.normalize({ ...redacted, bodyText: undefined });
    expect(rules.normalize(redacted)).toEqual(decodedAgain);
    expect(inputHash(rules.normalize(redacted))).toBe(inputHash(decodedAgain));
    // Bytes that are no UTF-8 text are handed on without text, and stored as base64.
    const binary = redactor.request({ ...request('x'), headers: [['content-type', 'application/octet-stream']], body: Uint8Array.of(0xff, 0xfe, 0x00) });
    expect(binary.bodyText).toBeUndefined();
    expect(rules.normalize(binary).body).toMatchObject({ encoding: 'base64' });
  });

  it('gives a rotated secret and a new request ID the same hash; a changed field a different one', () => {
    const first = requestKey(request('sk-live-abc123'), redactor, httpKeyRules());
    expect(requestKey(request('sk-live-rotated'), redactor, httpKeyRules()).hash).toBe(first.hash);
    const changed = { ...request('sk-live-abc123'), body: Buffer.from(JSON.stringify({ model: 'other', password: 'x' })) };
    expect(requestKey(changed, redactor, httpKeyRules()).hash).not.toBe(first.hash);
  });

  it('takes any boundary\'s rules: the hash is of the normalised form, whatever its shape', () => {
    const rules: RequestKeyRules<{ sql: string; params: string[] }> = {
      redact: (call, r) => ({ sql: call.sql, params: call.params.map((p) => r.text(p)) }),
      normalize: (call) => ({ sql: call.sql.replace(/\s+/g, ' ').trim(), params: call.params }),
    };
    const a = requestKey({ sql: 'SELECT  *\n FROM t WHERE id = $1', params: ['sk-live-abcdefghijklmnopqrstuvwx'] }, redactor, rules);
    const b = requestKey({ sql: 'SELECT * FROM t WHERE id = $1', params: ['sk-live-zyxwvutsrqponmlkjihgfedc'] }, redactor, rules);
    expect(a.normalized).toEqual({ sql: 'SELECT * FROM t WHERE id = $1', params: [REDACTED] });
    expect(b.hash).toBe(a.hash);
  });
});
