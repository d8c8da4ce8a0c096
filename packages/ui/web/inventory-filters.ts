import type { InventoryDoor } from '../src/api.js';

/** The inventory page's filters, as its URL carries them (a filtered inventory is a link) and /api/inventory takes them. */
export interface InventoryFilters {
  /** What the person typed: a time back from now (`7d`) or an ISO time; empty: the API's default (7d). */
  since: string;
  /** Same forms; empty: now. */
  until: string;
  service: string;
  /** `same`: compare with the period as long just before; empty: no comparison. */
  compare: '' | 'same';
}

export const DEFAULT_SINCE = '7d';

export function inventoryFiltersFromQuery(query: URLSearchParams): InventoryFilters {
  return {
    since: query.get('since') ?? '',
    until: query.get('until') ?? '',
    service: query.get('service') ?? '',
    compare: query.get('compare') === 'same' ? 'same' : '',
  };
}

/** Only the filters that are set, so the default inventory is plain `/inventory`. */
export function inventoryFiltersToQuery(filters: InventoryFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.since.trim()) query.set('since', filters.since.trim());
  if (filters.until.trim()) query.set('until', filters.until.trim());
  if (filters.service) query.set('service', filters.service);
  if (filters.compare) query.set('compare', filters.compare);
  return query;
}

/** How a door is titled on the page; the same words as `tracetape inventory --format markdown`. */
export const DOOR_TITLES: Record<InventoryDoor, string> = {
  http: 'HTTP',
  llm: 'LLM',
  grpc: 'gRPC',
  websocket: 'WebSocket',
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  redis: 'Redis',
  process: 'Programs',
  mcp: 'MCP servers',
  dns: 'DNS',
};

/** Items grouped by a key, groups and items in the order given (the report's order). */
export function groupInOrder<T, K>(items: readonly T[], keyOf: (item: T) => K): Array<[K, T[]]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups];
}
