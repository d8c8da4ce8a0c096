import { describe, expect, it } from 'vitest';
import { parseJsonPath, REDACTED, RedactionConfigError, Redactor } from '@tracetape/core';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const read = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;

describe('JSON body path syntax', () => {
  it('parses members, quoted members, indexes and wildcards', () => {
    expect(parseJsonPath("$.messages[*].api_key")).toEqual([
      { kind: 'member', name: 'messages' },
      { kind: 'all' },
      { kind: 'member', name: 'api_key' },
    ]);
    expect(parseJsonPath("$['x-key'][2].*")).toEqual([{ kind: 'member', name: 'x-key' }, { kind: 'index', index: 2 }, { kind: 'all' }]);
  });

  it('rejects what it cannot read with a coded error', () => {
    for (const bad of ['password', '$', '$..deep', '$.a[?(@.x)]']) {
      expect(() => parseJsonPath(bad), bad).toThrow(RedactionConfigError);
    }
  });
});

describe('JSON body redaction', () => {
  const redactor = new Redactor({ bodyPaths: ['$.password', '$.card.number', '$.messages[*].api_key', '$.items[1]', "$['weird key']"] });

  it('replaces values at top-level, nested, wildcard and indexed paths, whole subtrees included', () => {
    const body = {
      password: 'hunter2',
      card: { number: { pan: '4111111111111111' }, expiry: '12/30' },
      messages: [{ role: 'user', content: 'hi', api_key: 'k1' }, { role: 'assistant', content: 'yo' }],
      items: ['a', 'b', 'c'],
      'weird key': 1,
      model: 'gpt-4o',
    };
    expect(read(redactor.body(json(body), 'application/json'))).toEqual({
      password: REDACTED,
      card: { number: REDACTED, expiry: '12/30' },
      messages: [{ role: 'user', content: 'hi', api_key: REDACTED }, { role: 'assistant', content: 'yo' }],
      items: ['a', REDACTED, 'c'],
      'weird key': REDACTED,
      model: 'gpt-4o',
    });
  });

  it('finds secret shapes in any string, at any depth, without a path', () => {
    const body = { messages: [{ role: 'user', content: 'call it with Bearer abcdefgh12345678 please' }] };
    expect(read(new Redactor().body(json(body), undefined))).toEqual({
      messages: [{ role: 'user', content: `call it with Bearer ${REDACTED} please` }],
    });
  });

  it('returns the very same bytes when nothing needed redacting, big integers and all', () => {
    const bytes = Buffer.from('{ "id": 12345678901234567890123, "model": "gpt-4o", "messages": [] }');
    expect(redactor.body(bytes, 'application/json')).toBe(bytes);
  });

  it('keeps big integers exact when it does rewrite', () => {
    const bytes = Buffer.from('{"id":12345678901234567890123,"password":"x"}');
    expect(Buffer.from(redactor.body(bytes, 'application/json')).toString()).toBe(`{"id":12345678901234567890123,"password":"${REDACTED}"}`);
  });

  it('redacts form bodies by parameter name and plain text by pattern', () => {
    expect(Buffer.from(redactor.body(Buffer.from('user=al&password=pw'), 'application/x-www-form-urlencoded')).toString()).toBe(
      `user=al&password=${encodeURIComponent(REDACTED)}`,
    );
    expect(Buffer.from(redactor.body(Buffer.from('key sk-abcdefghijklmnopqrstuvwxyz!'), 'text/plain')).toString()).toBe(`key ${REDACTED}!`);
  });
});
