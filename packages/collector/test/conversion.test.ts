import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { offloadPayloads, toSpanRow, type PayloadRow, type SpanRow } from '@tracetape/clickhouse';
import { PAYLOAD_REF_PREFIX, sha256Hex } from '@tracetape/core';
import { describe, expect, it } from 'vitest';
import { convertRequest, decodeJsonRequest, decodeProtobufRequest, ExportTraceServiceRequest, MalformedRequestError } from '../src/index.js';
import { BIG_RESPONSE, sdkSpans } from './sdk-spans.js';

/** The rows the in-process exporter writes for these spans, and their payload rows. */
function direct(spans: Awaited<ReturnType<typeof sdkSpans>>): { rows: SpanRow[]; payloads: PayloadRow[] } {
  const payloads: PayloadRow[] = [];
  const rows = spans.map((span) => {
    const row = toSpanRow(span);
    payloads.push(...offloadPayloads(row));
    return row;
  });
  return { rows, payloads };
}

function directRows(spans: Awaited<ReturnType<typeof sdkSpans>>): SpanRow[] {
  return direct(spans).rows;
}

const bySpanId = (a: SpanRow, b: SpanRow) => a.SpanId.localeCompare(b.SpanId);

describe('OTLP from the OpenTelemetry JS serializers becomes the rows the in-process exporter writes', () => {
  it('protobuf (what @opentelemetry/exporter-trace-otlp-proto sends)', async () => {
    const spans = await sdkSpans();
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    const converted = convertRequest(decodeProtobufRequest(body));
    expect(converted.rejected.count).toBe(0);
    expect(converted.rows.sort(bySpanId)).toEqual(directRows(spans).sort(bySpanId));
    // The large answer is stored as chunks under a manifest, exactly as the in-process exporter stores it.
    expect(converted.payloads).toEqual(direct(spans).payloads);
    expect(converted.payloads.map((p) => p.Hash)).toContain(sha256Hex(BIG_RESPONSE));
    const call = converted.rows.find((row) => row.SpanName === 'POST')!;
    expect(call.SpanAttributes['tracetape.response']).toBe(PAYLOAD_REF_PREFIX + sha256Hex(BIG_RESPONSE));
    // Spot checks, so a shared mistake in both paths would still show.
    expect(call).toMatchObject({ SpanKind: 'Client', StatusCode: 'Error', StatusMessage: 'upstream 503', ServiceName: 'checkout' });
    expect(call.SpanAttributes).toMatchObject({
      'tracetape.test.negative': '-42',
      'tracetape.test.tiny': '0.00000015',
      'tracetape.test.flag': 'false',
      'tracetape.test.tags': '["a","b \\"quoted\\""]',
      'tracetape.test.numbers': '[1,2.5,-3]',
    });
    expect(call.ResourceAttributes['host.cores']).toBe('8');
  });

  it('JSON (what @opentelemetry/exporter-trace-otlp-http sends)', async () => {
    const spans = await sdkSpans();
    const body = JsonTraceSerializer.serializeRequest(spans)!;
    const converted = convertRequest(decodeJsonRequest(body));
    expect(converted.rejected.count).toBe(0);
    expect(converted.rows.sort(bySpanId)).toEqual(directRows(spans).sort(bySpanId));
  });
});

describe('values only OTLP can carry', () => {
  const traceId = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
  const spanId = Buffer.from('b7ad6b7169203331', 'hex');
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other-sdk' } }] },
        scopeSpans: [
          {
            scope: { name: 'go-sdk' },
            spans: [
              {
                traceId,
                spanId,
                traceState: 'vendor=a b,other=1',
                name: 'unspecified',
                kind: 0,
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '1700000001123456789',
                attributes: [
                  { key: 'big', value: { intValue: '9223372036854775807' } },
                  { key: 'raw', value: { bytesValue: Buffer.from([0, 1, 254, 255]) } },
                  {
                    key: 'map',
                    value: {
                      kvlistValue: {
                        values: [
                          { key: 'n', value: { intValue: '-9007199254740993' } },
                          { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, {}] } } },
                        ],
                      },
                    },
                  },
                  { key: 'none', value: {} },
                ],
                status: { code: 2, message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  };

  it('keeps 64-bit integers and nanoseconds exact, renders bytes and maps as the Collector does', () => {
    const body = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(request)).finish();
    const [row] = convertRequest(decodeProtobufRequest(body)).rows;
    expect(row).toMatchObject({
      TraceId: '0af7651916cd43dd8448eb211c80319c',
      SpanId: 'b7ad6b7169203331',
      TraceState: 'vendor=a b,other=1',
      SpanKind: 'Unspecified',
      Timestamp: '2023-11-14 22:13:20.123456789',
      Duration: '1000000000',
      StatusCode: 'Error',
      ServiceName: 'other-sdk',
      ScopeName: 'go-sdk',
      ScopeVersion: '',
    });
    expect(row!.SpanAttributes).toEqual({
      big: '9223372036854775807',
      raw: 'AAH+/w==',
      map: '{"n":-9007199254740993,"list":["x",null]}',
      none: '',
    });
  });

  it('reads the same span from OTLP/JSON with upper-case hex IDs, enum names and snake_case keys', () => {
    const json = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: '0AF7651916CD43DD8448EB211C80319C',
                  spanId: 'B7AD6B7169203331',
                  name: 'n',
                  kind: 'SPAN_KIND_CONSUMER',
                  startTimeUnixNano: 1700000000123456789n.toString(),
                  endTimeUnixNano: '1700000000123456789',
                  attributes: [{ key: 'd', value: { doubleValue: 'Infinity' } }, { key: 'i', value: { intValue: 7 } }],
                  status: { code: 'STATUS_CODE_OK' },
                },
              ],
            },
          ],
        },
      ],
    };
    const [row] = convertRequest(decodeJsonRequest(Buffer.from(JSON.stringify(json)))).rows;
    expect(row).toMatchObject({ TraceId: '0af7651916cd43dd8448eb211c80319c', SpanKind: 'Consumer', StatusCode: 'Ok', Duration: '0' });
    expect(row!.SpanAttributes).toEqual({ d: '+Inf', i: '7' });
  });

  it('rejects spans it cannot store, one by one', () => {
    const spans = [
      { traceId: '', spanId: 'b7ad6b7169203331', name: 'no trace id' },
      { traceId: '00000000000000000000000000000000', spanId: 'b7ad6b7169203331', name: 'zero trace id' },
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad', name: 'short span id' },
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'backwards', startTimeUnixNano: '2', endTimeUnixNano: '1' },
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'fine' },
    ];
    const converted = convertRequest(decodeJsonRequest(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }))));
    expect(converted.rows.map((r) => r.SpanName)).toEqual(['fine']);
    expect(converted.rejected.count).toBe(4);
    expect(converted.rejected.reasons.join('\n')).toMatch(/no trace id.*invalid trace ID/);
  });
});

describe('malformed bodies', () => {
  it.each([
    ['truncated protobuf', () => decodeProtobufRequest(Buffer.from([0x0a, 0x10, 0x0a]))],
    ['an unknown field with wire type 7', () => decodeProtobufRequest(Buffer.from([0x9f, 0x06, 0x00]))],
    ['text that is not JSON', () => decodeJsonRequest(Buffer.from('{"resourceSpans": ['))],
    ['JSON of the wrong shape', () => decodeJsonRequest(Buffer.from('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}'))],
    ['a non-hex ID', () => decodeJsonRequest(Buffer.from('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}'))],
    ['a JSON array', () => decodeJsonRequest(Buffer.from('[]'))],
    ['invalid UTF-8', () => decodeJsonRequest(Buffer.from([0x7b, 0xff, 0x7d]))],
  ])('%s is a MalformedRequestError saying where', (_name, decode) => {
    expect(decode).toThrow(MalformedRequestError);
  });

  it('names the offending field', () => {
    expect(() => decodeJsonRequest(Buffer.from('{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}'))).toThrow(
      '$.resourceSpans[0].scopeSpans[0].spans[0].name should be a string, not 5',
    );
  });
});
