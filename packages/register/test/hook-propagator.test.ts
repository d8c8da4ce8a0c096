import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { describe, expect, it } from 'vitest';
import { HookPropagator } from '../src/app-sdk/hook-propagator.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OTHER_SPAN = 'b7ad6b7169203331';

const active = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
const b3 = () => new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

function injected(propagator: HookPropagator, carrier: Record<string, string> = {}): Record<string, string> {
  propagator.inject(active, carrier, defaultTextMapSetter);
  return carrier;
}

function extractedSpan(propagator: HookPropagator, carrier: Record<string, string>) {
  return trace.getSpanContext(propagator.extract(context.active(), carrier, defaultTextMapGetter));
}

describe('HookPropagator', () => {
  it("is W3C trace context and baggage until the app's SDK registers a propagator", () => {
    const propagator = new HookPropagator();
    expect(injected(propagator)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
    expect(extractedSpan(propagator, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN })).toBeUndefined();
    expect(propagator.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
  });

  it("injects the app's headers beside traceparent once it has the app's propagator", () => {
    const propagator = new HookPropagator();
    expect(propagator.adopt(b3())).toBe(true);
    expect(injected(propagator)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' });
    expect(propagator.fields()).toEqual(expect.arrayContaining(['traceparent', 'baggage', 'x-b3-traceid', 'x-b3-spanid']));
  });

  it("extracts with the app's propagator, whose context wins over traceparent", () => {
    const propagator = new HookPropagator();
    propagator.adopt(b3());
    expect(extractedSpan(propagator, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' })).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    const both = { traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01`, 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' };
    expect(extractedSpan(propagator, both)).toMatchObject({ traceId: TRACE, spanId: SPAN });
    expect(extractedSpan(propagator, { traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01` })).toMatchObject({ traceId: OTHER_TRACE, spanId: OTHER_SPAN });
  });

  it("leaves the headers the app's instrumentation injected just before, once it has the app's propagator", () => {
    const propagator = new HookPropagator();
    propagator.adopt(b3());
    // The app's wrapper injects for its span, then calls tracetape's with a copy of the headers.
    const appSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: OTHER_SPAN, traceFlags: TraceFlags.SAMPLED });
    const appHeaders: Record<string, string> = { 'content-type': 'application/json' };
    propagator.inject(appSpan, appHeaders, defaultTextMapSetter);
    expect(injected(propagator, { ...appHeaders })).toEqual(appHeaders);
    expect(appHeaders).toMatchObject({ traceparent: `00-${TRACE}-${OTHER_SPAN}-01`, 'x-b3-spanid': OTHER_SPAN });
  });

  it("lets the app's injection, inside tracetape's, write over it when the app's SDK started before the hook", () => {
    const propagator = new HookPropagator(false);
    propagator.adopt(b3());
    // tracetape's wrapper is outside (it patched last) and injects first; the app's, inside, for its own span.
    const headers = injected(propagator, { 'content-type': 'application/json' });
    const appSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: OTHER_SPAN, traceFlags: TraceFlags.SAMPLED });
    propagator.inject(appSpan, headers, defaultTextMapSetter);
    expect(headers).toMatchObject({ traceparent: `00-${TRACE}-${OTHER_SPAN}-01`, 'x-b3-spanid': OTHER_SPAN });
  });

  it('overwrites trace headers the code set itself, as OpenTelemetry does', () => {
    const set = { Traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01`, 'x-b3-spanid': OTHER_SPAN };
    // Without an SDK of the app's, tracetape's span is the call's.
    expect(injected(new HookPropagator(), { ...set })).toMatchObject({ traceparent: `00-${TRACE}-${SPAN}-01` });
    const propagator = new HookPropagator();
    propagator.adopt(b3());
    expect(injected(propagator, { ...set })).toMatchObject({ traceparent: `00-${TRACE}-${SPAN}-01`, 'x-b3-spanid': SPAN });
  });

  it('takes only a propagator, and never itself', () => {
    const propagator = new HookPropagator();
    expect(propagator.adopt({ inject: () => undefined })).toBe(false);
    expect(propagator.adopt(undefined)).toBe(false);
    expect(propagator.adopt(propagator)).toBe(false);
    expect(injected(propagator)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
  });
});
