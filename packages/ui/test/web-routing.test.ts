import { describe, expect, it } from 'vitest';
import { parseRoute } from '../web/router.js';
import { filtersFromQuery, filtersToQuery, parseAttrFilter } from '../web/run-filters.js';

describe('parseRoute', () => {
  it('reads every page of the UI from its URL', () => {
    expect(parseRoute('/', '')).toMatchObject({ page: 'runs' });
    expect(parseRoute('/runs/abc', '')).toEqual({ page: 'run', traceId: 'abc' });
    expect(parseRoute('/runs/abc/steps/12', '')).toEqual({ page: 'run', traceId: 'abc', step: 12 });
    expect(parseRoute('/replays/def', '')).toEqual({ page: 'replay', replayTraceId: 'def' });
    expect(parseRoute('/compare', '?a=x&b=y')).toEqual({ page: 'compare', a: 'x', b: 'y' });
  });

  it('sends anything else to not-found, including a step that is not a positive integer', () => {
    expect(parseRoute('/runs/abc/steps/0', '').page).toBe('not-found');
    expect(parseRoute('/runs/abc/steps/1.5', '').page).toBe('not-found');
    expect(parseRoute('/nothing', '').page).toBe('not-found');
  });
});

describe('run filters', () => {
  it('round-trip through the page URL, leaving out what is unset', () => {
    const query = new URLSearchParams('service=shop&status=error&attr=gen_ai.request.model%3Dgpt-4o&attr=server.address%3Dapi');
    const filters = filtersFromQuery(query);
    expect(filters).toMatchObject({ service: 'shop', status: 'error', name: '', attr: 'gen_ai.request.model=gpt-4o server.address=api' });
    expect(filtersToQuery(filters).toString()).toBe(query.toString());
    expect(filtersToQuery(filtersFromQuery(new URLSearchParams())).toString()).toBe('');
  });

  it('drops a status the API does not know', () => {
    expect(filtersFromQuery(new URLSearchParams('status=weird')).status).toBe('');
  });

  it('takes key=value pairs and names the one that is not', () => {
    expect(parseAttrFilter(' a=1  b.c=x=y ')).toEqual({ attrs: ['a=1', 'b.c=x=y'] });
    expect(parseAttrFilter('a=1 oops').error).toMatch(/"oops"/);
    expect(parseAttrFilter('=v').error).toBeDefined();
    expect(filtersToQuery({ ...filtersFromQuery(new URLSearchParams()), attr: 'oops' }).has('attr')).toBe(false);
  });
});
