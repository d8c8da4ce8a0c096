import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_PATTERNS, parsePatternList, REDACTED, RedactionConfigError, Redactor } from '@tracetape/core';

const redactor = new Redactor();

describe('secret patterns', () => {
  const shapes: Record<string, string> = {
    openai: 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789',
    anthropic: 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx_0123456789-xyz',
    google: `AIza${'A1b2C3d4E5'.repeat(3)}abcde`,
    github: `ghp_${'a1B2c3D4e5'.repeat(4)}`,
    slack: 'xoxb-1234567890-abcdefghij',
    aws: 'AKIAIOSFODNN7EXAMPLE',
    jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    stripe: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  };
  for (const [kind, secret] of Object.entries(shapes)) {
    it(`finds a ${kind} key inside text`, () => {
      expect(redactor.text(`before ${secret} after`)).toBe(`before ${REDACTED} after`);
    });
  }

  it('keeps the Bearer scheme word and drops its token', () => {
    expect(redactor.text('Authorization: Bearer abc.DEF-123_456~xyz==')).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it('leaves ordinary request content alone', () => {
    const text = 'model gpt-4o-mini, claude-3-5-sonnet-20241022, gemini-1.5-pro; role user; task-1234; bearer of news; sk-short';
    expect(redactor.text(text)).toBe(text);
  });

  it('adds configured patterns to the defaults', () => {
    const custom = new Redactor({ patterns: [...DEFAULT_SECRET_PATTERNS, 'acme_[0-9a-f]{8}'] });
    expect(custom.text('acme_deadbeef and sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx')).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('reads TRACETAPE_REDACT_PATTERNS as lines or a JSON array, commas inside a pattern kept', () => {
    expect(parsePatternList('acme_[a-z]{8,}\n  foo_\\d{4,}  \n')).toEqual(['acme_[a-z]{8,}', 'foo_\\d{4,}']);
    expect(parsePatternList('["a{2,}", "b"]')).toEqual(['a{2,}', 'b']);
    expect(parsePatternList(undefined)).toEqual([]);
  });

  it('rejects an invalid pattern, or one matching nothing but the empty string, with a coded error', () => {
    expect(() => new Redactor({ patterns: ['(unclosed'] })).toThrow(RedactionConfigError);
    expect(() => new Redactor({ patterns: ['x*'] })).toThrow(/empty string/);
    try {
      parsePatternList('[1, 2]');
    } catch (error) {
      expect((error as RedactionConfigError).code).toBe('TRACETAPE_REDACTION_CONFIG');
    }
  });

  it('redacts secret shapes in header values it does not know by name', () => {
    expect(redactor.headers([['x-custom-auth', 'token sk-abcdefghijklmnopqrstuvwxyz'], ['cookie', 'a=b'], ['accept', 'text/plain']])).toEqual([
      ['x-custom-auth', `token ${REDACTED}`],
      ['cookie', REDACTED],
      ['accept', 'text/plain'],
    ]);
  });
});
