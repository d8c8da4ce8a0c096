import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACTED_QUERY_PARAMS, REDACTED, Redactor } from '@tracetape/core';

const placeholder = encodeURIComponent(REDACTED);
const redactor = new Redactor();

describe('URL redaction', () => {
  it('replaces the values of every default query parameter, any case, keeping the others and their order', () => {
    const query = DEFAULT_REDACTED_QUERY_PARAMS.map((name, i) => `${name.toUpperCase()}=v${i}`).join('&');
    const redacted = redactor.url(`https://api.example.com/v1/x?page=2&${query}&q=hello%20world`);
    expect(redacted).toBe(
      `https://api.example.com/v1/x?page=2&${DEFAULT_REDACTED_QUERY_PARAMS.map((name) => `${name.toUpperCase()}=${placeholder}`).join('&')}&q=hello%20world`,
    );
  });

  it('takes configured names in addition, and secret shapes in any value or in the path', () => {
    const custom = new Redactor({ query: [...DEFAULT_REDACTED_QUERY_PARAMS, 'X-Amz-Credential'] });
    expect(custom.url('https://h/p/sk-abcdefghijklmnopqrstuvwx/q?x-amz-credential=abc&other=ghp_' + 'a'.repeat(36))).toBe(
      `https://h/p/${REDACTED}/q?x-amz-credential=${placeholder}&other=${placeholder}`,
    );
  });

  it('drops a user-info password but keeps the user', () => {
    expect(redactor.url('https://alice:hunter2@example.com/x?y=1')).toBe(`https://alice:${placeholder}@example.com/x?y=1`);
  });

  it('handles a bare request target and a bare query string', () => {
    expect(redactor.url('/callback?code=1&token=abc')).toBe(`/callback?code=1&token=${placeholder}`);
    expect(redactor.query('a=1&sig=zzz')).toBe(`a=1&sig=${placeholder}`);
    expect(redactor.url('/plain/path')).toBe('/plain/path');
  });

  it('handles a query string that keeps its "?" (the undici instrumentation\'s url.query)', () => {
    expect(redactor.query('?token=abc&page=2')).toBe(`?token=${placeholder}&page=2`);
    expect(redactor.query('?')).toBe('?');
  });

  it('redacts header values that are URLs (referer, location) by their query parameters', () => {
    expect(redactor.headers([['location', '/cb?code=1&access_token=abc'], ['referer', 'https://h/p?sig=s1'], ['accept', 'text/plain']])).toEqual([
      ['location', `/cb?code=1&access_token=${placeholder}`],
      ['referer', `https://h/p?sig=${placeholder}`],
      ['accept', 'text/plain'],
    ]);
  });
});
