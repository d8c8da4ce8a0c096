import http from 'node:http';
import { isWrapped } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { describe, expect, it } from 'vitest';
import { patchLoadedBuiltins } from '../src/app-sdk/patch-loaded-builtins.js';

describe('patchLoadedBuiltins', () => {
  it('patches node:http, loaded before the instrumentation was enabled, once, and its disable() takes the patch out', () => {
    const original = http.Server.prototype.emit;
    const instrumentation = new HttpInstrumentation({ enabled: false });
    instrumentation.enable();
    try {
      // Loaded long before: the require hook does not hand it over again.
      expect(isWrapped(http.Server.prototype.emit)).toBe(false);
      patchLoadedBuiltins(instrumentation);
      const patched = http.Server.prototype.emit;
      expect(isWrapped(patched)).toBe(true);
      expect(isWrapped(http.request)).toBe(true);
      patchLoadedBuiltins(instrumentation);
      expect(http.Server.prototype.emit).toBe(patched);
    } finally {
      instrumentation.disable();
    }
    expect(http.Server.prototype.emit).toBe(original);
  });
});
