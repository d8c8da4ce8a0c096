import { ATTR_TRACETAPE_CAPTURE_ERROR, ATTR_TRACETAPE_INPUT_HASH, ATTR_TRACETAPE_REQUEST, ATTR_TRACETAPE_RESPONSE, httpKeyRules, Redactor, requestKey } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { PendingCapture, type CapturedRequestPart } from '../src/capture/pending-capture.js';

function partFor(body: string): CapturedRequestPart {
  const key = requestKey({ method: 'POST', url: 'http://shop.test/refunds', headers: [['content-type', 'application/json']], body: Buffer.from(body) }, new Redactor(), httpKeyRules());
  return { inputHash: key.hash, request: { normalized: key.normalized, headers: [...key.redacted.headers] }, normalizedJson: key.canonical };
}

describe('PendingCapture.setRequestLazily', () => {
  it('reads the request only when the span is saved, and stores what it read', () => {
    const capture = new PendingCapture({ traceId: 'trace-1', spanId: 'span-1' });
    let reads = 0;
    capture.setRequestLazily(() => {
      reads++;
      return partFor('{"b":1,"a":2}');
    });
    capture.setResponse({ status: 200, statusText: 'OK', headers: [], complete: true });
    expect(reads).toBe(0);

    const attributes = capture.toAttributes();
    expect(reads).toBe(1);
    expect(attributes[ATTR_TRACETAPE_INPUT_HASH]).toBe(partFor('{"a":2,"b":1}').inputHash);
    const stored = JSON.parse(attributes[ATTR_TRACETAPE_REQUEST] as string);
    expect(stored.normalized.body.data).toBe('{"a":2,"b":1}');
    expect(stored.headers).toEqual([['content-type', 'application/json']]);
    expect(attributes[ATTR_TRACETAPE_CAPTURE_ERROR]).toBeUndefined();

    // Saved twice (process exit after an export), read once.
    capture.toAttributes();
    expect(reads).toBe(1);
  });

  it('says the request was not captured, and why, when reading it fails', () => {
    const capture = new PendingCapture({ traceId: 'trace-1', spanId: 'span-2' });
    capture.setRequestLazily(() => {
      throw new Error('body could not be decoded');
    });
    const attributes = capture.toAttributes();
    expect(attributes[ATTR_TRACETAPE_REQUEST]).toBeUndefined();
    expect(attributes[ATTR_TRACETAPE_CAPTURE_ERROR]).toBe('request not captured: body could not be decoded');
  });
});

describe('PendingCapture.markUnanswered', () => {
  const end = { signal: 'SIGINT' as const, signalAt: '2030-01-01T00:00:00.000Z' };

  it('records a call nothing answered yet as unanswered, with how its process ended', () => {
    const capture = new PendingCapture({ traceId: 'trace-1', spanId: 'span-1' });
    capture.setRequestNow(partFor('{"job":"next"}'));
    // A door that reads the answer from the call's outcome: still pending when the process ends.
    capture.setResponseWhenDone(new Promise(() => undefined));
    expect(capture.markUnanswered(end)).toBe(true);
    const response = JSON.parse(capture.toAttributes()[ATTR_TRACETAPE_RESPONSE] as string);
    expect(response).toMatchObject({ status: 0, complete: false, unanswered: end, error: 'no answer yet when SIGINT stopped the process' });
    // Format 2, which a tracetape reading format 1 only would replay as a failed call.
    expect(capture.toAttributes()['tracetape.format']).toBe('2');
  });

  it('leaves a call alone once part of its answer came, or it failed', () => {
    const answering = new PendingCapture({ traceId: 'trace-1', spanId: 'span-2' });
    answering.setResponse({ status: 200, statusText: 'OK', headers: [], complete: false });
    answering.setRequestNow(partFor('{"stream":true}'));
    expect(answering.markUnanswered(end)).toBe(false);
    expect(JSON.parse(answering.toAttributes()[ATTR_TRACETAPE_RESPONSE] as string).unanswered).toBeUndefined();
    expect(answering.toAttributes()['tracetape.format']).toBe('1');
    const failed = new PendingCapture({ traceId: 'trace-1', spanId: 'span-3' });
    failed.setRequest(Promise.reject(new Error('unreadable')));
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => expect(failed.markUnanswered(end)).toBe(false));
  });
});
