import type { SpanRow } from '@tracetape/clickhouse';
import {
  ATTR_TRACETAPE_INBOUND_REQUEST,
  ATTR_TRACETAPE_INBOUND_RESPONSE,
  TapeFormatError,
  type InboundExchange,
  type InboundRequest,
  type RecordedResponse,
} from '@tracetape/core';
import { checkSpanFormat } from './span-format.js';

/** The inbound request a server span answered and its response, when the span carries them. */
export function inboundExchangeOf(row: SpanRow): InboundExchange | undefined {
  const request = row.SpanAttributes[ATTR_TRACETAPE_INBOUND_REQUEST];
  const response = row.SpanAttributes[ATTR_TRACETAPE_INBOUND_RESPONSE];
  if (request === undefined || response === undefined) return undefined;
  checkSpanFormat(row);
  return {
    request: parse<InboundRequest>(row, ATTR_TRACETAPE_INBOUND_REQUEST, request),
    response: parse<RecordedResponse>(row, ATTR_TRACETAPE_INBOUND_RESPONSE, response),
  };
}

function parse<T>(row: SpanRow, name: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TapeFormatError(`span ${row.SpanId}`, `attribute ${name} is not valid JSON (was it cut off by an attribute length limit?)`);
  }
}
