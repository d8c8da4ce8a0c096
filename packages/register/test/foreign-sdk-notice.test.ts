import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { FOREIGN_SDK_NOTICE, noticeForeignTracerProvider } from '../src/foreign-sdk-notice.js';

afterEach(() => diag.disable());

describe("the notice for an app's own OpenTelemetry SDK", () => {
  it('is written once, for the failed registration of a tracer provider only', () => {
    const written: string[] = [];
    noticeForeignTracerProvider({}, (line) => written.push(line));
    diag.error('Error: @opentelemetry/api: Attempted duplicate registration of API: context');
    diag.error('an exporter failed');
    expect(written).toEqual([]);
    diag.error('Error: @opentelemetry/api: Attempted duplicate registration of API: trace\n    at registerGlobal');
    diag.error('Error: @opentelemetry/api: Attempted duplicate registration of API: trace');
    expect(written).toEqual([FOREIGN_SDK_NOTICE]);
  });

  it('leaves the diagnostic logger to OpenTelemetry when OTEL_LOG_LEVEL asks for one', () => {
    const written: string[] = [];
    noticeForeignTracerProvider({ OTEL_LOG_LEVEL: 'error' }, (line) => written.push(line));
    diag.error('Error: @opentelemetry/api: Attempted duplicate registration of API: trace');
    expect(written).toEqual([]);
  });
});
