import { describe, expect, it } from 'vitest';
import { inputHash, normalizeRequest, REDACTED, Redactor, type RawRequest } from '@tracetape/core';

/** What capture and playback both do: redact, then normalise, then hash. */
function hashOf(raw: RawRequest, redactor = new Redactor({ bodyPaths: ['$.credentials.password'] })): string {
  return inputHash(normalizeRequest(redactor.request(raw)));
}

function request(key: string): RawRequest {
  return {
    method: 'POST',
    url: `https://api.example.com/v1/chat?api_key=${key}&model=gpt-4o`,
    headers: [
      ['content-type', 'application/json'],
      ['authorization', `Bearer ${key}`],
      ['x-trace-note', `key ${key}`],
    ],
    body: Buffer.from(
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `my key is ${key}` }], credentials: { password: key } }),
    ),
  };
}

describe('hash stability under redaction', () => {
  it('hashes two requests that differ only in the key the same', () => {
    expect(hashOf(request('sk-proj-AAAAAAAAAAAAAAAAAAAAAAAAAAAA'))).toBe(hashOf(request('sk-proj-BBBBBBBBBBBBBBBBBBBBBBBBBBBB')));
  });

  it('still tells apart requests that differ in anything else', () => {
    const other = request('sk-proj-AAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    other.url = other.url.replace('gpt-4o', 'gpt-4o-mini');
    expect(hashOf(other)).not.toBe(hashOf(request('sk-proj-AAAAAAAAAAAAAAAAAAAAAAAAAAAA')));
  });

  it('keeps no secret in the normalised form that is stored', () => {
    const normalized = normalizeRequest(new Redactor({ bodyPaths: ['$.credentials.password'] }).request(request('sk-proj-CCCCCCCCCCCCCCCCCCCCCCCCCCCC')));
    expect(JSON.stringify(normalized)).not.toContain('CCCCCCCC');
    expect(normalized.body?.data).toContain(REDACTED);
  });
});

describe('binary bodies', () => {
  it('leaves a body that is not text untouched, even when its bytes spell a key', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('sk-abcdefghijklmnopqrstuvwxyz')]);
    const redactor = new Redactor();
    expect(redactor.body(bytes, 'application/octet-stream')).toBe(bytes);
    expect(redactor.body(bytes, undefined)).toBe(bytes);
    const image = Buffer.from('sk-abcdefghijklmnopqrstuvwxyz');
    expect(redactor.body(image, 'image/png')).toBe(image);
    expect(redactor.encodedBody({ encoding: 'base64', data: image.toString('base64'), size: image.byteLength }, undefined).data).toBe(
      image.toString('base64'),
    );
  });
});
