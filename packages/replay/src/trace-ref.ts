import type { SpanStore, TraceSummary } from '@tracetape/clickhouse';
import { parseTraceRef, TracetapeError, UnknownTraceError } from '@tracetape/core';

/** How many matches an ambiguous prefix lists; one more is fetched to know there are more. */
const LISTED_MATCHES = 10;

/** A typed prefix starts more than one stored trace: the message lists them, newest first. */
export class AmbiguousTraceIdError extends TracetapeError {
  constructor(prefix: string, matches: readonly TraceSummary[], more: boolean) {
    const lines = matches.map((t) => `  ${t.traceId}  ${t.name || '-'}  ${t.start.slice(0, 23)} UTC`);
    super(
      'TRACETAPE_AMBIGUOUS_TRACE_ID',
      [
        `trace ID prefix ${prefix} matches ${more ? `more than ${matches.length}` : matches.length} traces; type more of the ID to pick one:`,
        ...lines,
        ...(more ? ['  …'] : []),
      ].join('\n'),
    );
  }
}

/**
 * The whole trace ID a user meant: a whole ID as given, or the one stored trace that a prefix of
 * 8 or more hex digits starts (the trace table, its lookup table and runs still recording alike).
 * An unknown prefix fails as an unknown trace would. Only an ambiguous prefix sums the matches up
 * (listTraces), to list them: on a large store that costs a replay's start a quarter of a second.
 */
export async function resolveTraceId(store: SpanStore, input: string): Promise<string> {
  const ref = parseTraceRef(input);
  if (ref.id !== undefined) return ref.id;
  const ids = await store.traceIdsStartingWith(ref.prefix, 2);
  if (ids.length === 1) return ids[0]!;
  // listTraces sums up traces with spans or a run row: an ID the lookup table keeps after its
  // spans have expired (the two tables expire apart) is not among them, nor worth picking.
  const matches = ids.length === 0 ? [] : await store.listTraces({ limit: LISTED_MATCHES + 1, traceIdPrefix: ref.prefix });
  if (matches.length === 1) return matches[0]!.traceId;
  if (matches.length === 0) throw new UnknownTraceError(`${ref.prefix}… (a prefix)`, store.location);
  throw new AmbiguousTraceIdError(ref.prefix, matches.slice(0, LISTED_MATCHES), matches.length > LISTED_MATCHES);
}
