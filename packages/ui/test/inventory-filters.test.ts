import { expect, it } from 'vitest';
import { groupInOrder, inventoryFiltersFromQuery, inventoryFiltersToQuery } from '../web/inventory-filters.js';
import { parseRoute } from '../web/router.js';

it('routes /inventory with its filters, which round-trip through the page URL leaving out what is unset', () => {
  const route = parseRoute('/inventory', '?since=2026-06-01&compare=same');
  expect(route.page).toBe('inventory');
  const query = route.page === 'inventory' ? route.query : new URLSearchParams();
  const filters = inventoryFiltersFromQuery(query);
  expect(filters).toEqual({ since: '2026-06-01', until: '', service: '', compare: 'same' });
  expect(inventoryFiltersToQuery(filters).toString()).toBe('since=2026-06-01&compare=same');
  expect(inventoryFiltersToQuery(inventoryFiltersFromQuery(new URLSearchParams('compare=sometimes'))).toString()).toBe('');
  expect(parseRoute('/inventory/x', '').page).toBe('not-found');
});

it('groups entries in the order given', () => {
  expect(groupInOrder(['b1', 'a1', 'b2'], (s) => s[0])).toEqual([
    ['b', ['b1', 'b2']],
    ['a', ['a1']],
  ]);
});
