import { describe, expect, it } from 'vitest';
import type { StepDetail } from '../src/api.js';
import { overrideCommand, overrideEnvelope, shellQuote, validateEnvelope } from '../web/override.js';

describe('shellQuote', () => {
  it('leaves words a shell reads as they are', () => {
    expect(shellQuote('node')).toBe('node');
    expect(shellQuote('./app.js')).toBe('./app.js');
    expect(shellQuote('--url=http://x:1/a@b-c_d')).toBe('--url=http://x:1/a@b-c_d');
  });

  it('single-quotes anything else, with a quote inside written as quote-backslash-quote-quote', () => {
    expect(shellQuote('hello world')).toBe(`'hello world'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('$HOME')).toBe(`'$HOME'`);
    expect(shellQuote('a;rm -rf /')).toBe(`'a;rm -rf /'`);
    expect(shellQuote('')).toBe(`''`);
  });
});

describe('overrideCommand', () => {
  it('names the trace, the step and its file, then the recorded command', () => {
    expect(overrideCommand('0af7651916cd43dd8448eb211c80319c', 3, ['node', 'agent.mjs', 'refund order 42'])).toBe(
      `tracetape replay 0af7651916cd43dd8448eb211c80319c --override 3=step-3.json -- node agent.mjs 'refund order 42'`,
    );
  });

  it('leaves a placeholder when the run recorded no command', () => {
    expect(overrideCommand('abc', 1, undefined)).toBe('tracetape replay abc --override 1=step-1.json -- <your command>');
    expect(overrideCommand('abc', 1, [])).toBe('tracetape replay abc --override 1=step-1.json -- <your command>');
  });
});

function detail(response: Partial<StepDetail['response']>): StepDetail {
  return {
    summary: { step: 2, kind: 'http', method: 'POST', url: 'http://shop/refunds', label: 'POST /refunds', startOffsetMs: 0, durationMs: 1, status: 200, sideEffect: true },
    spanName: 'POST',
    inputHash: 'h',
    request: { method: 'POST', url: 'http://shop/refunds', headers: [] },
    response: { status: 201, statusText: 'Created', headers: [], complete: true, ...response },
  };
}

describe('overrideEnvelope', () => {
  it('writes status, headers as an object and a JSON body as JSON', () => {
    const text = overrideEnvelope(detail({ headers: [['Content-Type', 'application/json']], body: { kind: 'json', value: { ok: true }, size: 11 } }));
    expect(text).toBe('{\n  "status": 201,\n  "headers": {\n    "content-type": "application/json"\n  },\n  "body": {\n    "ok": true\n  }\n}');
    expect(validateEnvelope(text)).toBeUndefined();
  });

  it('joins a repeated header, as HTTP does', () => {
    const value = JSON.parse(overrideEnvelope(detail({ headers: [['vary', 'a'], ['Vary', 'b']] }))) as { headers: Record<string, string> };
    expect(value.headers).toEqual({ vary: 'a, b' });
  });

  it('writes a text body as a string and a streamed answer as its chunks joined', () => {
    expect(JSON.parse(overrideEnvelope(detail({ body: { kind: 'text', text: 'plain', size: 5 } }))).body).toBe('plain');
    const streamed = detail({
      chunks: [
        { offsetMs: 0, body: { kind: 'text', text: 'data: 1\n\n', size: 9 } },
        { offsetMs: 5, body: { kind: 'text', text: 'data: [DONE]\n\n', size: 14 } },
      ],
    });
    expect(JSON.parse(overrideEnvelope(streamed)).body).toBe('data: 1\n\ndata: [DONE]\n\n');
  });

  it('leaves binary bodies out and turns a failed call (status 0) into 200', () => {
    const value = JSON.parse(overrideEnvelope(detail({ status: 0, body: { kind: 'binary', size: 3, note: '3 bytes' } })));
    expect(value).toEqual({ status: 200, headers: {} });
  });
});

describe('validateEnvelope', () => {
  it('reports the parse error of invalid JSON', () => {
    expect(validateEnvelope('{"status": 200,')).toMatch(/^Not valid JSON: /);
  });

  it('refuses what tracetape replay --override refuses', () => {
    expect(validateEnvelope('[]')).toMatch(/JSON object/);
    expect(validateEnvelope('{"status": 42}')).toMatch(/status/);
    expect(validateEnvelope('{"headers": {"x": 1}}')).toMatch(/headers/);
    expect(validateEnvelope('{"chunks": ["a"], "body": "b"}')).toMatch(/not both/);
  });

  it('accepts a body of any JSON value', () => {
    expect(validateEnvelope('{"status": 500, "body": "oops"}')).toBeUndefined();
    expect(validateEnvelope('{"body": [1, 2]}')).toBeUndefined();
  });
});
