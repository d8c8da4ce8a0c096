import { describe, expect, it } from 'vitest';
import { ClaimsConfigError, parseClaimsConfig, TracetapeError, type ClaimsConfig } from '@tracetape/core';

const FILE = 'agents/support/tracetape.claims.json';

interface EditableConfig {
  format?: unknown;
  version?: unknown;
  claims: Array<Record<string, unknown> & { expect: Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

function valid(): EditableConfig {
  return {
    format: 'tracetape.claims',
    version: 1,
    claims: [
      {
        name: 'refund',
        phrases: ['submitted your refund', 'refund has been issued', "I've refunded", 'refunded'],
        expect: [{ method: 'POST', url: '*/refunds' }, { tool: 'issue_refund' }, { door: 'postgres', method: 'INSERT', table: 'refunds' }],
      },
      { name: 'email', phrases: ['sent you an email'], expect: [{ door: 'http', method: 'POST', url: 'https://api.mail.test/v3/send' }] },
    ],
  };
}

function refusal(edit: (config: EditableConfig) => void): ClaimsConfigError {
  const config = valid();
  edit(config);
  return refusalOf(JSON.stringify(config));
}

function refusalOf(text: string): ClaimsConfigError {
  try {
    parseClaimsConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ClaimsConfigError);
    expect(error).toBeInstanceOf(TracetapeError);
    expect((error as ClaimsConfigError).code).toBe('TRACETAPE_CLAIMS_CONFIG');
    expect((error as ClaimsConfigError).message.startsWith(`${FILE}: `)).toBe(true);
    return error as ClaimsConfigError;
  }
  throw new Error('expected a ClaimsConfigError, the claims file was accepted');
}

describe('parseClaimsConfig', () => {
  it('reads a claims file', () => {
    const expected: ClaimsConfig = {
      format: 'tracetape.claims',
      version: 1,
      claims: [
        {
          name: 'refund',
          phrases: ['submitted your refund', 'refund has been issued', "I've refunded", 'refunded'],
          expect: [{ method: 'POST', url: '*/refunds' }, { tool: 'issue_refund' }, { door: 'postgres', method: 'INSERT', table: 'refunds' }],
        },
        { name: 'email', phrases: ['sent you an email'], expect: [{ door: 'http', method: 'POST', url: 'https://api.mail.test/v3/send' }] },
      ],
    };
    expect(parseClaimsConfig(JSON.stringify(valid()), FILE)).toEqual(expected);
  });

  it('takes any text as the URL of a door that does not address calls by http URLs', () => {
    const config = valid();
    config.claims[0]!.expect = [{ door: 'mcp', url: 'node servers/*', tool: 'issue_refund' }];
    expect(parseClaimsConfig(JSON.stringify(config), FILE).claims[0]!.expect).toEqual([{ door: 'mcp', url: 'node servers/*', tool: 'issue_refund' }]);
  });

  describe('refuses, naming the file and the JSON path', () => {
    it('an unknown key, with the key it most likely meant', () => {
      const top = refusal((c) => (c.claim = []));
      expect(top.path).toBe('claim');
      expect(top.message).toBe(`${FILE}: claim is not a claims field (did you mean "claims"?): the fields at the top are format, version and claims`);

      const inClaim = refusal((c) => {
        c.claims[0]!.phrase = c.claims[0]!.phrases;
        delete c.claims[0]!.phrases;
      });
      expect(inClaim.path).toBe('claims[0].phrase');
      expect(inClaim.message).toContain('(did you mean "phrases"?)');
      expect(inClaim.message).toContain('the fields of claims[0] are name, phrases and expect');

      const inExpect = refusal((c) => (c.claims[1]!.expect[0]!.uri = '*/send'));
      expect(inExpect.path).toBe('claims[1].expect[0].uri');
      expect(inExpect.message).toContain('(did you mean "url"?)');
    });

    it('values of the wrong type', () => {
      expect(refusal((c) => (c.claims[0]!.phrases = 'refunded')).message).toBe(`${FILE}: claims[0].phrases must be an array, not "refunded"`);
      expect(refusal((c) => (c.claims[1]!.name = 7)).message).toBe(`${FILE}: claims[1].name must be a non-empty string, not 7`);
      expect(refusal((c) => (c.claims[0]!.phrases = ['refunded', 3])).path).toBe('claims[0].phrases[1]');
      expect(refusal((c) => (c.claims = {})).message).toBe(`${FILE}: claims must be an array, not an object`);
      const door = refusal((c) => (c.claims[0]!.expect[2]!.door = 'postgresql'));
      expect(door.path).toBe('claims[0].expect[2].door');
      expect(door.message).toContain('must be one of "http", "postgres"');
      expect(door.message).toContain('not "postgresql"');
    });

    it('a URL glob that could never match an HTTP call', () => {
      const withMethod = refusal((c) => (c.claims[0]!.expect[0]!.url = 'POST */refunds'));
      expect(withMethod.path).toBe('claims[0].expect[0].url');
      expect(withMethod.message).toBe(
        `${FILE}: claims[0].expect[0].url "POST */refunds" is not a URL glob: put the method in "method" ("POST") and the glob alone in "url"`,
      );
      const bare = refusal((c) => (c.claims[0]!.expect[0]!.url = 'refunds'));
      expect(bare.message).toContain('claims[0].expect[0].url "refunds" would never match');
      expect(bare.message).toContain('("*/refunds")');
      expect(refusal((c) => (c.claims[0]!.expect[0]!.url = '')).message).toContain('must be a non-empty string');
    });

    it('expectations that contradict themselves or match anything', () => {
      expect(refusal((c) => (c.claims[0]!.expect[0] = {})).message).toContain('claims[0].expect[0] is empty, so any call would back the claim');
      expect(refusal((c) => (c.claims[0]!.expect[1]!.door = 'http')).message).toContain('claims[0].expect[1].tool names an MCP tool, but door is "http"');
      expect(refusal((c) => (c.claims[0]!.expect[2]!.door = 'redis')).message).toContain('claims[0].expect[2].table names a database table, but door is "redis"');
    });

    it('claims that could never be found or told apart', () => {
      expect(refusal((c) => (c.claims[0]!.phrases = [])).message).toContain('claims[0].phrases is empty: list at least one phrase');
      expect(refusal((c) => (c.claims[0]!.expect = [])).message).toContain('claims[0].expect is empty: list at least one call');
      expect(refusal((c) => (c.claims[0]!.phrases = ['...'])).message).toContain('claims[0].phrases[0] "..." has no letter or digit');
      expect(refusal((c) => (c.claims[1]!.name = 'refund')).message).toContain('claims[1].name "refund" is already the name of claims[0]');
      expect(refusal((c) => (c.claims = [])).message).toContain('claims is empty');
    });

    it('a file that is not a claims file of this version', () => {
      expect(refusalOf('{ "format": "tracetape.claims", ').message).toMatch(new RegExp(`^${FILE}: is not JSON \\(`));
      expect(refusalOf('[]').message).toBe(`${FILE}: must hold a JSON object (a tracetape claims file), not an array`);
      expect(refusal((c) => (c.format = 'tracetape.contract')).message).toBe(`${FILE}: format must be "tracetape.claims", not "tracetape.contract": is this a claims file?`);
      expect(refusal((c) => (c.version = 2)).message).toContain('version 2 is not supported (this tracetape reads version 1)');
    });
  });
});
