import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_TRACETAPE_IDEMPOTENCY_KEY,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REPEAT_KEY,
  ATTR_TRACETAPE_REQUEST_METHOD,
  ATTR_TRACETAPE_SIDE_EFFECT,
} from '@tracetape/core';

/*
 * The repeated-side-effect rule of core's findRepeatedSideEffects(), in SQL over the attributes
 * capture writes: a side effect (the door said so, or an HTTP method other than GET, HEAD and
 * OPTIONS) whose repeat key equals an earlier one's in the same trace, paired with the latest such
 * call. Model calls, WebSocket sends and DNS answers do not count. A pair whose two calls carried the
 * same Idempotency-Key was safely retried. The attribute names are bound as parameters
 * ({@link REPEAT_PARAMS}); `filter` narrows the spans read (a trace ID list, a time range).
 */
export function repeatPairsSql(table: string, filter: string): string {
  return `SELECT TraceId, if(idempotency_key != '' AND idempotency_key = previous_key, 'safely-retried', 'repeated') AS verdict
    FROM (
      SELECT
        TraceId,
        SpanAttributes[{repeatIdempotencyAttribute:String}] AS idempotency_key,
        lagInFrame(SpanAttributes[{repeatIdempotencyAttribute:String}]) OVER pair AS previous_key,
        row_number() OVER pair AS nth
      FROM ${table}
      WHERE ${filter}
        AND SpanAttributes[{repeatKeyAttribute:String}] != ''
        AND SpanAttributes[{repeatProviderAttribute:String}] = ''
        AND SpanAttributes[{repeatKindAttribute:String}] NOT IN ('websocket', 'dns')
        AND (SpanAttributes[{repeatSideEffectAttribute:String}] = 'true'
          OR (SpanAttributes[{repeatSideEffectAttribute:String}] = ''
            AND upper(SpanAttributes[{repeatMethodAttribute:String}]) NOT IN ('GET', 'HEAD', 'OPTIONS')))
      WINDOW pair AS (PARTITION BY TraceId, SpanAttributes[{repeatKeyAttribute:String}] ORDER BY Timestamp, SpanId
        ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
    )
    WHERE nth > 1`;
}

/** The attribute names {@link repeatPairsSql} reads, as bound parameters. */
export const REPEAT_PARAMS = {
  repeatIdempotencyAttribute: ATTR_TRACETAPE_IDEMPOTENCY_KEY,
  repeatKeyAttribute: ATTR_TRACETAPE_REPEAT_KEY,
  repeatProviderAttribute: ATTR_GEN_AI_PROVIDER_NAME,
  repeatKindAttribute: ATTR_TRACETAPE_KIND,
  repeatSideEffectAttribute: ATTR_TRACETAPE_SIDE_EFFECT,
  repeatMethodAttribute: ATTR_TRACETAPE_REQUEST_METHOD,
} as const;
