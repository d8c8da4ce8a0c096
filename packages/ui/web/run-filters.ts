/** The runs list's filters, as the page URL carries them (so a filtered list is a link) and the API takes them. */
export interface RunFilters {
  service: string;
  name: string;
  status: '' | 'ok' | 'error' | 'diverged';
  /** ISO-8601, as the API wants; the inputs show it in local time. */
  since: string;
  until: string;
  /** What the person typed: one or more `key=value`, space-separated. */
  attr: string;
}

const STATUSES = new Set(['ok', 'error', 'diverged']);

export function filtersFromQuery(query: URLSearchParams): RunFilters {
  const status = query.get('status') ?? '';
  return {
    service: query.get('service') ?? '',
    name: query.get('name') ?? '',
    status: STATUSES.has(status) ? (status as RunFilters['status']) : '',
    since: query.get('since') ?? '',
    until: query.get('until') ?? '',
    attr: query.getAll('attr').join(' '),
  };
}

/** `key=value` pairs; a value may not hold spaces, since a space separates two pairs. */
export function parseAttrFilter(text: string): { attrs: string[]; error?: string } {
  const tokens = text.trim().split(/\s+/).filter((token) => token !== '');
  const bad = tokens.find((token) => token.indexOf('=') < 1);
  if (bad !== undefined) return { attrs: [], error: `"${bad}" is not key=value (e.g. gen_ai.request.model=gpt-4o)` };
  return { attrs: tokens };
}

/** Only the filters that are set, so an unfiltered list is plain `/`. An unparsable attr is left out. */
export function filtersToQuery(filters: RunFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.service) query.set('service', filters.service);
  if (filters.name.trim()) query.set('name', filters.name.trim());
  if (filters.status) query.set('status', filters.status);
  if (filters.since) query.set('since', filters.since);
  if (filters.until) query.set('until', filters.until);
  for (const attr of parseAttrFilter(filters.attr).attrs) query.append('attr', attr);
  return query;
}
