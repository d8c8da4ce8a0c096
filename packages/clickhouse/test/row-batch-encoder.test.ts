import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbSpanStore, resolvePayloadRefs, RowBatchEncoder, toSpanRow } from '../src/index.js';
import { BIG_RESPONSE, recordInMemory, tempDir } from './spans.js';

describe('RowBatchEncoder', () => {
  const dir = tempDir('row-batch-encoder');
  let store: ChdbSpanStore;

  beforeAll(async () => {
    store = new ChdbSpanStore({ dir: dir.dir });
    await store.init();
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('encodes SDK spans into the rows the store reads back as those spans, payloads included', async () => {
    const spans = await recordInMemory('encoded run');
    const batch = new RowBatchEncoder().encode(spans);
    expect(batch.spanRows).toBe(spans.length);
    // The 100 KB response is moved out as content-defined chunks under one manifest.
    expect(batch.payloadRows).toBeGreaterThan(1);
    await store.insertEncoded({ spanRows: batch.spanRows, spans: [batch.spans], payloadRows: batch.payloadRows, payloads: [batch.payloads] }, [], 'encoder-test');
    const traceId = spans[0]!.spanContext().traceId;
    const back = await resolvePayloadRefs(await store.getTraceSpans(traceId), store);
    const expected = spans.map(toSpanRow);
    expect(back).toEqual(expect.arrayContaining(expected));
    expect(back).toHaveLength(expected.length);
    expect(back.find((row) => row.SpanName === 'POST')?.SpanAttributes['tracetape.response']).toBe(BIG_RESPONSE);
  });

  it('hands a payload row out once it was kept, and again when the batch that carried it was not', async () => {
    const spans = await recordInMemory('resent history');
    const encoder = new RowBatchEncoder();
    const first = encoder.encode(spans).payloadRows;
    // Not kept (the log refused the record): the next batch must carry the payload itself.
    expect(encoder.encode(spans).payloadRows).toBe(first);
    encoder.kept();
    expect(encoder.encode(spans).payloadRows).toBe(0);
  });
});
