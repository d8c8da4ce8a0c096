import { Redactor, requestKey } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { exchangeOf, exchangeResponse, websocketKeyRules, websocketUrl, type StepExchange } from '../../src/websocket/websocket-call.js';
import { upgradeOf } from '../../src/websocket/upgrade-requests.js';

const redactor = new Redactor();
const rules = websocketKeyRules();

describe('websocketKeyRules', () => {
  it('keys an open by its URL (secrets redacted, ws: scheme, sorted query), connection number and protocols', () => {
    const key = requestKey({ action: 'open', url: 'http://Example.com:80/live?token=abc&b=1', connection: 1, protocols: ['v1'] }, redactor, rules);
    expect(key.normalized).toEqual({
      method: 'OPEN',
      url: 'ws://example.com/live?b=1&token=%5BREDACTED%5D',
      headers: {},
      body: expect.objectContaining({ data: '{"connection":1,"protocols":["v1"]}' }),
    });
    const rotated = requestKey({ action: 'open', url: 'ws://example.com/live?b=1&token=xyz', connection: 1, protocols: ['v1'] }, redactor, rules);
    expect(rotated.hash).toBe(key.hash);
  });

  it('keys a JSON message as JSON (key order does not count) and a binary one by its bytes', () => {
    const send = (text: string) => requestKey({ action: 'send', url: 'wss://a.test/', connection: 1, frame: 2, message: { binary: false, text } }, redactor, rules);
    expect(send('{"b":1,"a":2}').hash).toBe(send('{"a":2, "b":1}').hash);
    expect(JSON.parse(send('{"a":2}').normalized.body!.data)).toEqual({ connection: 1, frame: 2, json: { a: 2 } });
    expect(JSON.parse(send('plain').normalized.body!.data)).toEqual({ connection: 1, frame: 2, text: 'plain' });
    const binary = requestKey({ action: 'send', url: 'wss://a.test/', connection: 1, frame: 2, message: { binary: true, bytes: Buffer.from('plain') } }, redactor, rules);
    expect(JSON.parse(binary.normalized.body!.data)).toEqual({ connection: 1, frame: 2, base64: Buffer.from('plain').toString('base64') });
    expect(binary.hash).not.toBe(send('plain').hash);
  });

  it('redacts secrets in what the app sends before keying it', () => {
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const key = requestKey({ action: 'send', url: 'wss://a.test/', connection: 1, frame: 1, message: { binary: false, text: JSON.stringify({ key: secret }) } }, redactor, rules);
    expect(key.normalized.body!.data).not.toContain(secret);
  });

  it('redacts a credential passed as a subprotocol', () => {
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const key = requestKey({ action: 'open', url: 'wss://a.test/', connection: 1, protocols: ['realtime', `openai-insecure-api-key.${secret}`] }, redactor, rules);
    expect(key.normalized.body!.data).not.toContain(secret);
    expect(JSON.parse(key.normalized.body!.data).protocols[0]).toBe('realtime');
  });

  it('keys a close by its code and reason', () => {
    const key = requestKey({ action: 'close', url: 'wss://a.test/', connection: 2, frame: 3, code: 1000, reason: 'done' }, redactor, rules);
    expect(key.normalized.method).toBe('CLOSE');
    expect(JSON.parse(key.normalized.body!.data)).toEqual({ connection: 2, frame: 3, code: 1000, reason: 'done' });
  });

  it('normalises the URL of either scheme', () => {
    expect(websocketUrl('https://A.test:443/x')).toBe('wss://a.test/x');
    expect(websocketUrl('ws://a.test:8080/x?b=2&a=1')).toBe('ws://a.test:8080/x?a=1&b=2');
  });
});

describe('exchangeResponse', () => {
  it('stores binary messages as base64 and text as UTF-8, with the close in the body, and reads them back', () => {
    const exchange: StepExchange = {
      status: 200,
      statusText: '2 messages, closed 4000',
      headers: [],
      messages: [
        { offsetMs: 1.5, message: { binary: false, text: 'hi' } },
        // Valid UTF-8, still binary.
        { offsetMs: 2, message: { binary: true, bytes: Buffer.from('hi') } },
      ],
      close: { code: 4000, reason: 'bye', wasClean: true, offsetMs: 3 },
    };
    const response = exchangeResponse(exchange, redactor);
    expect(response.chunks!.map((chunk) => chunk.body.encoding)).toEqual(['utf8', 'base64']);
    expect(response.complete).toBe(true);
    const back = exchangeOf(response);
    expect(back.messages.map(({ message }) => message)).toEqual([
      { binary: false, text: 'hi' },
      { binary: true, bytes: Buffer.from('hi') },
    ]);
    expect(back.close).toEqual(exchange.close);
  });

  it('marks a step still open at exit incomplete', () => {
    const response = exchangeResponse({ status: 200, statusText: 'still open at exit', headers: [], messages: [], stillOpen: true }, redactor);
    expect(response.complete).toBe(false);
    expect(exchangeOf(response).stillOpen).toBe(true);
  });
});

describe('upgradeOf', () => {
  it('reads a ws handshake from http.request options', () => {
    const opening = upgradeOf('ws:', [
      { host: '127.0.0.1', port: '8080', path: '/chat?x=1', headers: { Upgrade: 'websocket', 'Sec-WebSocket-Key': 'k', 'Sec-WebSocket-Protocol': 'a, b' } },
    ]);
    expect(opening).toMatchObject({ url: 'ws://127.0.0.1:8080/chat?x=1', protocols: ['a', 'b'], key: 'k' });
  });

  it('reads the URL form, and leaves requests that are no upgrade alone', () => {
    expect(upgradeOf('wss:', ['https://a.test/x', { headers: { upgrade: 'WebSocket' } }])?.url).toBe('wss://a.test/x');
    expect(upgradeOf('ws:', [{ host: 'a.test', path: '/', headers: { 'content-type': 'text/plain' } }])).toBeUndefined();
  });
});
