import type { RunFilter } from '../run-source.js';
import { UiRequestError } from '../errors.js';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 5000;
const STATUSES = ['ok', 'error', 'diverged'] as const;

/** The runs list's query string, checked: a filter that cannot mean anything is refused, not ignored. */
export function parseRunFilter(query: URLSearchParams): RunFilter {
  const filter: RunFilter = { attributes: [], limit: DEFAULT_LIMIT };
  const service = nonEmpty(query.get('service'));
  if (service !== undefined) filter.service = service;
  const name = nonEmpty(query.get('name'));
  if (name !== undefined) filter.name = name;
  const status = nonEmpty(query.get('status'));
  if (status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(status)) throw badFilter(`status must be ${STATUSES.join(', ')}, not "${status}"`);
    filter.status = status as RunFilter['status'];
  }
  const since = nonEmpty(query.get('since'));
  if (since !== undefined) filter.since = parseTime(since, 'since');
  const until = nonEmpty(query.get('until'));
  if (until !== undefined) filter.until = parseTime(until, 'until');
  for (const attribute of query.getAll('attr')) {
    if (attribute.trim() === '') continue;
    const split = attribute.indexOf('=');
    if (split <= 0) throw badFilter(`attr must be key=value (e.g. gen_ai.request.model=gpt-4o), not "${attribute}"`);
    filter.attributes.push({ key: attribute.slice(0, split).trim(), value: attribute.slice(split + 1).trim() });
  }
  const limit = nonEmpty(query.get('limit'));
  if (limit !== undefined) {
    const value = Number(limit);
    if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) throw badFilter(`limit must be a whole number from 1 to ${MAX_LIMIT}, not "${limit}"`);
    filter.limit = value;
  }
  return filter;
}

function nonEmpty(value: string | null): string | undefined {
  return value === null || value.trim() === '' ? undefined : value.trim();
}

function parseTime(text: string, name: string): Date {
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw badFilter(`${name} must be a date and time such as 2026-12-01T09:30, not "${text}"`);
  return time;
}

function badFilter(message: string): UiRequestError {
  return new UiRequestError(400, 'TRACETAPE_UI_BAD_FILTER', `Bad filter: ${message}.`);
}
