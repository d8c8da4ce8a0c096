import { describe, expect, it } from 'vitest';
import { ContractFormatError, intervalMs, parseContract, serializeContract, TracetapeError, type Contract } from '@tracetape/core';

const WHERE = 'fixtures/x.contract.json';

function valid(): Record<string, any> {
  return {
    format: 'tracetape.contract',
    version: 1,
    fixture: 'support-agent-3f0c9a1e',
    tape: 'support-agent-3f0c9a1e.tape.json',
    command: ['node', 'examples/support-agent/agent.mjs'],
    interval: '1d',
    expect: {
      exitCode: 0,
      outputs: [
        { from: 'stdout', contains: ['refund'], matches: ['issued \\$\\d+'] },
        { from: 'out/result.json', json: [{ path: 'refund.status', equals: 'issued' }, { path: 'refund', hasKeys: ['id', 'amount_cents'] }] },
      ],
      sideEffects: {
        allowed: [{ door: 'http', method: 'POST', url: '*/refunds', max: 1 }],
        forbidden: [{ method: 'DELETE' }, { door: 'postgres', table: 'orders' }],
        others: 'forbid',
      },
    },
  };
}

function refusal(edit: (c: Record<string, any>) => void): ContractFormatError {
  const contract = valid();
  edit(contract);
  try {
    parseContract(JSON.stringify(contract), WHERE);
  } catch (error) {
    expect(error).toBeInstanceOf(ContractFormatError);
    expect(error).toBeInstanceOf(TracetapeError);
    expect((error as ContractFormatError).code).toBe('TRACETAPE_CONTRACT_FORMAT');
    return error as ContractFormatError;
  }
  throw new Error('expected a ContractFormatError, the contract was accepted');
}

describe('parseContract', () => {
  it('reads the documented example', () => {
    const contract = parseContract(JSON.stringify(valid()), WHERE);
    expect(contract.expect.sideEffects?.allowed).toEqual([{ door: 'http', method: 'POST', url: '*/refunds', max: 1 }]);
    expect(contract.expect.outputs?.[1]?.json?.[0]).toEqual({ path: 'refund.status', equals: 'issued' });
  });

  it('names the file and the JSON path of a bad max, and what it must be', () => {
    const error = refusal((c) => (c.expect.sideEffects.allowed[0].max = 'two'));
    expect(error.message).toBe('fixtures/x.contract.json: expect.sideEffects.allowed[0].max must be a whole number of at least 0, not "two"');
    expect(error.path).toBe('expect.sideEffects.allowed[0].max');
  });

  it('refuses a typo in a key, naming the keys allowed there', () => {
    const error = refusal((c) => {
      c.expect.sideEffects.forbiden = c.expect.sideEffects.forbidden;
      delete c.expect.sideEffects.forbidden;
    });
    expect(error.message).toContain('expect.sideEffects.forbiden is not a contract field (did you mean "forbidden"?)');
    expect(error.message).toContain('allowed, forbidden and others');
  });

  it('refuses unknown keys at the top and in patterns', () => {
    expect(refusal((c) => (c.comand = ['x'])).message).toContain('comand is not a contract field (did you mean "command"?)');
    expect(refusal((c) => (c.expect.sideEffects.allowed[0].maxi = 2)).message).toContain(
      'expect.sideEffects.allowed[0].maxi is not a contract field (did you mean "max"?): the fields of expect.sideEffects.allowed[0] are door, method, url, table and max',
    );
    // max belongs to allowed rules only.
    expect(refusal((c) => (c.expect.sideEffects.forbidden[0].max = 1)).path).toBe('expect.sideEffects.forbidden[0].max');
  });

  it('refuses an invalid regular expression in matches, with what is wrong with it', () => {
    const error = refusal((c) => (c.expect.outputs[0].matches = ['ok', 'issued (\\$\\d+']));
    expect(error.path).toBe('expect.outputs[0].matches[1]');
    expect(error.message).toMatch(/must be a valid regular expression .*unterminated group/);
    expect(refusal((c) => (c.expect.outputs[1].json[0].matches = '[a-')).path).toBe('expect.outputs[1].json[0].matches');
  });

  it('refuses an unknown door, listing the doors', () => {
    const error = refusal((c) => (c.expect.sideEffects.forbidden[1].door = 'postgresql'));
    expect(error.message).toContain('expect.sideEffects.forbidden[1].door must be one of "http", "postgres"');
    expect(error.message).toContain('not "postgresql"');
  });

  it('refuses a bad interval and reads the good ones', () => {
    for (const bad of ['30', '1.5h', '0d', '1 d', '2y', 30]) {
      expect(refusal((c) => (c.interval = bad)).message).toContain('fixtures/x.contract.json: interval must be a duration such as "30m", "12h", "1d", "1w" or whole seconds "90s"');
    }
    const at = (interval?: string) => intervalMs({ interval });
    expect([at('30m'), at('12h'), at('1d'), at('1w'), at('90s'), at(undefined)]).toEqual([
      30 * 60_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 90_000, 86_400_000,
    ]);
  });

  it('names paths deep in outputs and json checks', () => {
    expect(refusal((c) => (c.expect.outputs[1].json[1].hasKeys = ['id', 3])).message).toBe(
      'fixtures/x.contract.json: expect.outputs[1].json[1].hasKeys[1] must be a string, not 3',
    );
    expect(refusal((c) => (c.expect.outputs[1].json[0].path = 'refund..status')).message).toContain('expect.outputs[1].json[0].path must be a path such as');
    expect(refusal((c) => (c.expect.outputs[0].from = '')).path).toBe('expect.outputs[0].from');
    expect(refusal((c) => (c.expect.outputs = {})).message).toContain('expect.outputs must be an array, not an object');
    expect(refusal((c) => (c.expect.exitCode = -1)).path).toBe('expect.exitCode');
    expect(refusal((c) => (c.expect.sideEffects.others = 'deny')).message).toContain('expect.sideEffects.others must be one of "forbid" or "allow", not "deny"');
    expect(refusal((c) => (c.command = [])).path).toBe('command');
    expect(refusal((c) => (c.env = { A: 1 })).message).toContain('env["A"] must be a string, not 1');
    expect(refusal((c) => delete c.expect).message).toContain('expect must be an object, not missing');
  });

  it('refuses a file of another format, a newer version, and text that is not JSON', () => {
    expect(refusal((c) => (c.format = 'tracetape.tape')).message).toContain('format must be "tracetape.contract"');
    expect(refusal((c) => (c.version = 2)).message).toContain('version 2 is not supported');
    expect(() => parseContract('{"format":', WHERE)).toThrow(/^fixtures\/x\.contract\.json: is not JSON/);
    expect(() => parseContract('[]', WHERE)).toThrow(ContractFormatError);
  });

  it('reads safeHosts, refusing a URL in place of a host', () => {
    const contract = valid();
    contract.safeHosts = ['api.example.com', '127.0.0.1:4020', '[::1]:8080'];
    expect(parseContract(JSON.stringify(contract), WHERE).safeHosts).toEqual(['api.example.com', '127.0.0.1:4020', '[::1]:8080']);
    expect(refusal((c) => (c.safeHosts = ['https://api.example.com'])).message).toBe(
      'fixtures/x.contract.json: safeHosts[0] must be a host or host:port such as "api.example.com" or "127.0.0.1:4020", not "https://api.example.com"',
    );
  });

  it('refuses exists: false beside a check that needs the value', () => {
    expect(refusal((c) => (c.expect.outputs[1].json[0].exists = false)).path).toBe('expect.outputs[1].json[0].exists');
  });
});

describe('serializeContract', () => {
  it('writes a contract parseContract reads back equal, keys in the documented order', () => {
    const contract = parseContract(JSON.stringify(valid()), WHERE);
    // Built in another key order: the file comes out the same.
    const shuffled = JSON.parse(JSON.stringify(contract), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
    ) as Contract;
    const text = serializeContract(shuffled);
    expect(text).toBe(serializeContract(contract));
    expect(parseContract(text, WHERE)).toEqual(contract);
    expect(Object.keys(JSON.parse(text))).toEqual(['format', 'version', 'fixture', 'tape', 'command', 'interval', 'expect']);
    expect(text).toContain('{ "door": "http", "method": "POST", "url": "*/refunds", "max": 1 }');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('keeps an equals of null, false and objects', () => {
    const contract = valid();
    contract.expect.outputs[1].json = [
      { path: 'a', equals: null },
      { path: 'b', equals: false },
      { path: 'c', equals: { z: 1, a: [1, { b: 2 }] } },
    ];
    const parsed = parseContract(JSON.stringify(contract), WHERE);
    expect(parseContract(serializeContract(parsed), WHERE)).toEqual(parsed);
  });
});
