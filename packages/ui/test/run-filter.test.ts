import { expect, it } from 'vitest';
import { UiRequestError } from '../src/errors.js';
import { parseRunFilter } from '../src/server/run-filter.js';

it('reads every filter of the runs list from its query', () => {
  const filter = parseRunFilter(
    new URLSearchParams('service=shop&name=agent&status=diverged&since=2026-12-01T09:30&until=2026-12-02T00:00Z&attr=gen_ai.request.model%3Dgpt-4o&attr=server.address%3Dapi.x&limit=50'),
  );
  expect(filter).toMatchObject({
    service: 'shop',
    name: 'agent',
    status: 'diverged',
    until: new Date('2026-12-02T00:00Z'),
    attributes: [
      { key: 'gen_ai.request.model', value: 'gpt-4o' },
      { key: 'server.address', value: 'api.x' },
    ],
    limit: 50,
  });
  expect(filter.since).toBeInstanceOf(Date);
});

it('ignores empty fields and refuses filters that cannot mean anything, saying what is expected', () => {
  expect(parseRunFilter(new URLSearchParams('service=&attr=&status='))).toEqual({ attributes: [], limit: 200 });
  for (const [query, says] of [
    ['status=broken', 'status must be ok, error, diverged'],
    ['since=yesterday-ish', 'since must be a date and time'],
    ['attr=gpt-4o', 'attr must be key=value'],
    ['limit=0', 'limit must be a whole number'],
  ] as const) {
    const attempt = () => parseRunFilter(new URLSearchParams(query));
    expect(attempt).toThrow(UiRequestError);
    expect(attempt).toThrow(says);
  }
});
