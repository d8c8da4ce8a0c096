import { ConfigError, parseDurationMs, parseSince } from '@tracetape/core';
import { UiRequestError } from '../errors.js';

/** The inventory's period when the page names none: the week up to now, as `tracetape inventory`. */
const DEFAULT_SINCE = '7d';

/** The inventory page's query, checked (see InventoryResponse in api.ts). */
export interface InventoryQuery {
  since: Date;
  until: Date;
  service?: string;
  /** The start of the period to compare with (which ends at `since`); absent: no comparison. */
  previousSince?: Date;
}

/**
 * since / until as `tracetape inventory` takes them (a time back from now, or ISO 8601), service,
 * and compare (`same`, or a length of time). A query that cannot mean anything is refused, saying
 * what each field takes.
 */
export function parseInventoryQuery(query: URLSearchParams, now: Date = new Date()): InventoryQuery {
  const since = time(nonEmpty(query.get('since')) ?? DEFAULT_SINCE, now, 'since');
  const untilText = nonEmpty(query.get('until'));
  const until = untilText !== undefined ? time(untilText, now, 'until') : now;
  if (until.getTime() <= since.getTime()) throw badQuery(`until (${until.toISOString()}) must come after since (${since.toISOString()})`);
  const parsed: InventoryQuery = { since, until };
  const service = nonEmpty(query.get('service'));
  if (service !== undefined) parsed.service = service;
  const compare = nonEmpty(query.get('compare'));
  if (compare !== undefined && compare !== 'off') {
    const length = compare === 'same' ? until.getTime() - since.getTime() : parseDurationMs(compare);
    if (length === undefined || !(length > 0)) {
      throw badQuery(`compare takes "same" (a period as long, just before) or a length of time (1h, 7d, 1w), not "${compare}"`);
    }
    parsed.previousSince = new Date(since.getTime() - length);
  }
  return parsed;
}

function time(text: string, now: Date, name: string): Date {
  try {
    return parseSince(text, now, name);
  } catch (error) {
    if (error instanceof ConfigError) throw badQuery(error.message.replace(/\.$/, ''));
    throw error;
  }
}

function nonEmpty(value: string | null): string | undefined {
  return value === null || value.trim() === '' ? undefined : value.trim();
}

function badQuery(message: string): UiRequestError {
  return new UiRequestError(400, 'TRACETAPE_UI_BAD_FILTER', `Bad inventory filter: ${message}.`);
}
