import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_PROCESS_COMMAND_ARGS,
  ATTR_PROCESS_EXECUTABLE_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_TRACETAPE_CREDENTIALS,
  ATTR_TRACETAPE_INPUT_HASH,
  ATTR_TRACETAPE_KIND,
  ATTR_TRACETAPE_REPLAY_STEP,
  ATTR_TRACETAPE_REQUEST,
  ATTR_TRACETAPE_REQUEST_METHOD,
  ATTR_TRACETAPE_REQUEST_TARGET,
  ATTR_TRACETAPE_SIDE_EFFECT,
  ATTR_URL_FULL,
  REDACTED,
  type InventoryCall,
} from '@tracetape/core';

/*
 * The boundary calls of a period, grouped by everything `tracetape inventory` lists them by, in one
 * query. Targets stay raw (IDs, ports): templating them is core's buildInventory(), in TypeScript.
 * Attribute names are bound ({@link INVENTORY_PARAMS}), and so are the period and the service.
 *
 * Spans recorded before capture wrote tracetape.request.method, .target and .credentials are read
 * from the request payload when it is inline (its method, URL and the header names whose values
 * redaction replaced), else from the HTTP conventions (http.request.method, url.full). A payload
 * moved to the payload table is not read: such a span falls back to the conventions, and its
 * credentials go unnamed.
 */
export function inventoryCallsSql(table: string, filters: { since: boolean; until: boolean; service: boolean }): string {
  return `SELECT
    ServiceName AS service,
    if(SpanAttributes[{kindAttribute:String}] != '', SpanAttributes[{kindAttribute:String}], 'http') AS kind,
    coalesce(
      nullIf(SpanAttributes[{methodAttribute:String}], ''),
      nullIf(JSONExtractString(SpanAttributes[{requestAttribute:String}], 'normalized', 'method'), ''),
      SpanAttributes[{httpMethodAttribute:String}]) AS method,
    coalesce(
      nullIf(SpanAttributes[{targetAttribute:String}], ''),
      nullIf(JSONExtractString(SpanAttributes[{requestAttribute:String}], 'normalized', 'url'), ''),
      SpanAttributes[{urlAttribute:String}]) AS target,
    SpanAttributes[{hostAttribute:String}] AS host,
    SpanAttributes[{toolAttribute:String}] AS toolName,
    SpanAttributes[{providerAttribute:String}] AS provider,
    SpanAttributes[{modelAttribute:String}] AS model,
    SpanAttributes[{executableAttribute:String}] AS executable,
    JSONExtractString(SpanAttributes[{commandArgsAttribute:String}], 2) AS firstArgument,
    SpanAttributes[{dbSystemAttribute:String}] AS dbSystem,
    SpanAttributes[{dbNamespaceAttribute:String}] AS dbNamespace,
    -- SQL only: a Redis span's text names its keys, which would make a group per key.
    if(kind IN ('postgres', 'mysql'), SpanAttributes[{statementAttribute:String}], '') AS statement,
    SpanAttributes[{sideEffectAttribute:String}] AS sideEffect,
    count() AS calls,
    countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS errors,
    toString(min(Timestamp)) AS firstSeen,
    toString(max(Timestamp)) AS lastSeen,
    arraySort(groupUniqArrayArray(if(
      mapContains(SpanAttributes, {credentialsAttribute:String}),
      JSONExtract(SpanAttributes[{credentialsAttribute:String}], 'Array(String)'),
      arrayMap(h -> concat('header:', lower(h[1])),
        arrayFilter(h -> length(h) = 2 AND position(h[2], {redacted:String}) > 0,
          JSONExtract(SpanAttributes[{requestAttribute:String}], 'headers', 'Array(Array(String))')))))) AS credentials
  FROM ${table}
  WHERE (SpanAttributes[{kindAttribute:String}] != '' OR mapContains(SpanAttributes, {inputHashAttribute:String}))
    -- A replay continued live records the calls its tape answered too: those reached nothing.
    AND NOT mapContains(SpanAttributes, {replayStepAttribute:String})
    ${filters.since ? 'AND Timestamp >= {since:DateTime64(3)}' : ''}
    ${filters.until ? 'AND Timestamp < {until:DateTime64(3)}' : ''}
    ${filters.service ? 'AND ServiceName = {service:String}' : ''}
  GROUP BY service, kind, method, target, host, toolName, provider, model, executable, firstArgument, dbSystem, dbNamespace, statement, sideEffect`;
}

/** The attribute names (and the redaction marker) {@link inventoryCallsSql} reads, as bound parameters. */
export const INVENTORY_PARAMS = {
  kindAttribute: ATTR_TRACETAPE_KIND,
  methodAttribute: ATTR_TRACETAPE_REQUEST_METHOD,
  targetAttribute: ATTR_TRACETAPE_REQUEST_TARGET,
  credentialsAttribute: ATTR_TRACETAPE_CREDENTIALS,
  sideEffectAttribute: ATTR_TRACETAPE_SIDE_EFFECT,
  requestAttribute: ATTR_TRACETAPE_REQUEST,
  inputHashAttribute: ATTR_TRACETAPE_INPUT_HASH,
  replayStepAttribute: ATTR_TRACETAPE_REPLAY_STEP,
  toolAttribute: ATTR_GEN_AI_TOOL_NAME,
  providerAttribute: ATTR_GEN_AI_PROVIDER_NAME,
  modelAttribute: ATTR_GEN_AI_REQUEST_MODEL,
  executableAttribute: ATTR_PROCESS_EXECUTABLE_NAME,
  commandArgsAttribute: ATTR_PROCESS_COMMAND_ARGS,
  hostAttribute: ATTR_SERVER_ADDRESS,
  urlAttribute: ATTR_URL_FULL,
  // OpenTelemetry semantic conventions that core has no constant for: only the inventory reads them.
  httpMethodAttribute: 'http.request.method',
  dbSystemAttribute: 'db.system.name',
  dbNamespaceAttribute: 'db.namespace',
  statementAttribute: 'db.query.text',
  redacted: REDACTED,
} as const;

/** A row as the stores return it: 64-bit counts may come as text. */
export type InventoryCallRow = Omit<InventoryCall, 'calls' | 'errors'> & { calls: number | string; errors: number | string };

export function inventoryCallOf(row: InventoryCallRow): InventoryCall {
  return { ...row, calls: Number(row.calls), errors: Number(row.errors), credentials: Array.isArray(row.credentials) ? row.credentials.map(String) : [] };
}
