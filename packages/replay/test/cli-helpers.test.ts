import { isoToMs, type ServedStep } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { colourWanted, palette } from '../src/colour.js';
import { replayHintCommand } from '../src/commands/record.js';
import { formatDuration, formatOffset, parseSince, shellQuote } from '../src/human-format.js';
import { sideEffectSummary } from '../src/report.js';

describe('formatDuration', () => {
  it('reads as a person would say it', () => {
    expect(formatDuration(0.42)).toBe('0.4 ms');
    expect(formatDuration(850.2)).toBe('850 ms');
    expect(formatDuration(999.7)).toBe('1.0 s');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(59_999)).toBe('1 min 0 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(2 * 3_600_000 + 10 * 60_000)).toBe('2 h 10 min');
    expect(formatDuration(Number.NaN)).toBe('-');
  });

  it('offsets from a run start carry a sign, and never a negative one', () => {
    expect(formatOffset(12.34)).toBe('+12.3 ms');
    expect(formatOffset(1500)).toBe('+1.5 s');
    expect(formatOffset(-0.05)).toBe('+0.0 ms');
  });

  it('keeps the sub-millisecond digits of stored times', () => {
    expect(isoToMs('2030-01-01T00:00:00.000123456Z') - isoToMs('2030-01-01T00:00:00Z')).toBeCloseTo(0.1235, 3); // a double holds an epoch in ms to about a quarter of a microsecond
    expect(isoToMs('2030-01-01T00:00:01.5Z') - isoToMs('2030-01-01T00:00:00.000Z')).toBe(1500);
  });
});

describe('parseSince', () => {
  const now = new Date('2030-06-15T12:00:00Z');

  it('takes a span back from now', () => {
    expect(parseSince('30m', now).toISOString()).toBe('2030-06-15T11:30:00.000Z');
    expect(parseSince('2h', now).toISOString()).toBe('2030-06-15T10:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2030-06-08T12:00:00.000Z');
    expect(parseSince('1w', now).toISOString()).toBe('2030-06-08T12:00:00.000Z');
    expect(parseSince('45s', now).toISOString()).toBe('2030-06-15T11:59:15.000Z');
  });

  it('takes an ISO time, UTC when it names no zone', () => {
    expect(parseSince('2030-06-01', now).toISOString()).toBe('2030-06-01T00:00:00.000Z');
    expect(parseSince('2030-06-01T09:30', now).toISOString()).toBe('2030-06-01T09:30:00.000Z');
    expect(parseSince('2030-06-01 09:30:00', now).toISOString()).toBe('2030-06-01T09:30:00.000Z');
    expect(parseSince('2030-06-01T09:30:00+02:00', now).toISOString()).toBe('2030-06-01T07:30:00.000Z');
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['yesterday', '5 minutes', '-2h', '2030-13-01', '']) {
      expect(() => parseSince(bad, now)).toThrow(/--since takes a time back from now \(30m, 2h, 7d, 1w\) or an ISO time/);
    }
  });
});

describe('shellQuote and the replay hint', () => {
  it('leaves plain words alone and single-quotes the rest, as a POSIX shell reads them back', () => {
    expect(shellQuote(['node', 'app.js', '--port=8080', 'a/b@c:1'])).toBe('node app.js --port=8080 a/b@c:1');
    expect(shellQuote(['two words', "it's", '$HOME', '*', ''])).toBe(`'two words' 'it'\\''s' '$HOME' '*' ''`);
  });

  it('writes the Node running tracetape as node', () => {
    expect(replayHintCommand(['/opt/node24/bin/node', 'app.js', 'a b'], '/opt/node24/bin/node')).toBe("node app.js 'a b'");
    expect(replayHintCommand(['node', 'app.js'], '/opt/node24/bin/node')).toBe('node app.js');
    expect(replayHintCommand(['npm', 'start'], '/opt/node24/bin/node')).toBe('npm start');
  });
});

describe('colour', () => {
  it('colours a terminal only, unless NO_COLOR or FORCE_COLOR says otherwise', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('paints with ANSI codes only when enabled', () => {
    expect(palette(true).red('DIVERGED')).toBe('\u001b[31mDIVERGED\u001b[39m');
    expect(palette(false).red('DIVERGED')).toBe('DIVERGED');
  });
});

describe('sideEffectSummary', () => {
  const served = (step: number, method: string, url: string): ServedStep => ({ step, callIndex: step, method, url, status: 200, sideEffect: true });

  it('counts by method and URL path, most frequent first', () => {
    const steps = [
      ...Array.from({ length: 298 }, (_, i) => served(i + 1, 'POST', `http://shop.test/refunds?order=${i}`)),
      served(299, 'DELETE', 'http://shop.test/carts/7'),
      served(300, 'DELETE', 'http://shop.test/carts/7'),
    ];
    expect(sideEffectSummary(steps)).toBe(
      'tracetape: 300 side effect(s) suppressed: 298× POST http://shop.test/refunds, 2× DELETE http://shop.test/carts/7 (answered from the tape, not sent; --verbose lists each)',
    );
  });

  it('says which were left unanswered, as their recording was, rather than answered', () => {
    const steps = [served(1, 'LPUSH', 'redis://127.0.0.1:6379/1'), { ...served(2, 'BRPOP', 'redis://127.0.0.1:6379/1'), unanswered: true as const }];
    expect(sideEffectSummary(steps)).toBe(
      'tracetape: 2 side effect(s) suppressed: 1× LPUSH redis://127.0.0.1:6379/1, 1× BRPOP redis://127.0.0.1:6379/1 (answered from the tape, 1 left unanswered as recorded, not sent; --verbose lists each)',
    );
    expect(sideEffectSummary(steps.slice(1))).toContain('(left unanswered, as recorded, not sent;');
  });

  it('names five kinds and counts the rest', () => {
    const steps = Array.from({ length: 7 }, (_, i) => served(i + 1, 'PUT', `http://api.test/item/${i}`));
    expect(sideEffectSummary(steps)).toMatch(/^tracetape: 7 side effect\(s\) suppressed: (1× PUT http:\/\/api\.test\/item\/\d, ){4}1× PUT http:\/\/api\.test\/item\/4, and 2 more kind\(s\) /);
  });
});
