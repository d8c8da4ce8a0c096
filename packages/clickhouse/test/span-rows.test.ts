import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { toSpanRow, type SpanRowSource } from '../src/index.js';

/** A span as toSpanRow reads it, under the given resource. */
function spanUnder(resource: SpanRowSource['resource'], spanId: string): SpanRowSource {
  return {
    name: 'GET',
    kind: SpanKind.CLIENT,
    startTime: [1_765_000_000, 123_456_789],
    duration: [0, 5_000_000],
    status: { code: SpanStatusCode.UNSET },
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    events: [],
    links: [],
    parentSpanContext: undefined,
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId, traceFlags: 1 }),
    resource,
    instrumentationScope: { name: 'test', version: '1' },
  };
}

describe('toSpanRow', () => {
  it("writes every span under a resource with that resource's attributes, read once", () => {
    let reads = 0;
    const resource = {
      get attributes() {
        reads++;
        return { 'service.name': 'checkout', 'host.name': 'web-1', 'process.pid': 42 };
      },
    };
    const first = toSpanRow(spanUnder(resource, '00f067aa0ba902b7'));
    const second = toSpanRow(spanUnder(resource, '00f067aa0ba902b8'));
    expect(first.ResourceAttributes).toEqual({ 'service.name': 'checkout', 'host.name': 'web-1', 'process.pid': '42' });
    expect(second.ResourceAttributes).toEqual(first.ResourceAttributes);
    expect(second.ServiceName).toBe('checkout');
    expect(reads).toBe(1);
  });

  it('reads a resource again while its detectors have not answered, so attributes that arrive later are kept', () => {
    const resource = { asyncAttributesPending: true, attributes: { 'service.name': 'checkout' } as Record<string, string> };
    expect(toSpanRow(spanUnder(resource, '00f067aa0ba902b7')).ResourceAttributes).toEqual({ 'service.name': 'checkout' });
    resource.attributes = { 'service.name': 'checkout', 'cloud.region': 'eu-west-1' };
    resource.asyncAttributesPending = false;
    expect(toSpanRow(spanUnder(resource, '00f067aa0ba902b8')).ResourceAttributes).toEqual({ 'service.name': 'checkout', 'cloud.region': 'eu-west-1' });
  });

  it('prints the start time as DateTime64(9) text and the duration in nanoseconds', () => {
    const row = toSpanRow(spanUnder({ attributes: {} }, '00f067aa0ba902b7'));
    expect(row.Timestamp).toBe('2025-12-06 05:46:40.123456789');
    expect(row.Duration).toBe('5000000');
    expect(row.SpanAttributes).toEqual({ 'http.request.method': 'GET', 'http.response.status_code': '200' });
  });
});
