import { InstrumentationBase, isWrapped, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { describe, expect, it } from 'vitest';
import { keepWrappers } from '../src/app-sdk/keep-wrappers.js';

/** An instrumentation that patches what it is handed, as one patches a module as it loads. */
class Patcher extends InstrumentationBase {
  constructor(private readonly mark: string) {
    super(`patcher-${mark}`, '1.0.0', { enabled: false } as InstrumentationConfig);
  }
  protected init(): [] {
    return [];
  }
  /** As the PostgreSQL instrumentation patches: its own earlier wrapper taken out first, then wrapped. */
  patch(target: { emit: (calls: string[]) => void }): void {
    const mark = this.mark;
    if (isWrapped(target.emit)) this._unwrap(target, 'emit');
    this._wrap(target, 'emit', (original: (calls: string[]) => void) =>
      function (this: unknown, calls: string[]) {
        calls.push(mark);
        original.call(this, calls);
      },
    );
  }
  unpatch(target: { emit: (calls: string[]) => void }): void {
    this._unwrap(target, 'emit');
  }
}

function module() {
  return { emit: (calls: string[]) => void calls.push('original') };
}

const emitted = (target: ReturnType<typeof module>): string[] => {
  const calls: string[] = [];
  target.emit(calls);
  return calls;
};

describe("tracetape's patches beside an app's instrumentation of the same module", () => {
  it("are taken out by the app's patch without keepWrappers, which is the fault being kept off", () => {
    const target = module();
    new Patcher('tracetape').patch(target);
    new Patcher('app').patch(target);
    expect(emitted(target)).toEqual(['app', 'original']);
  });

  it("stay in place under the app's patch", () => {
    const target = module();
    const tracetape = new Patcher('tracetape');
    keepWrappers(tracetape);
    tracetape.patch(target);
    new Patcher('app').patch(target);
    expect(emitted(target)).toEqual(['app', 'tracetape', 'original']);
  });

  it('are still replaced by tracetape patching again, never doubled, and taken out by its unpatch', () => {
    const target = module();
    const tracetape = new Patcher('tracetape');
    keepWrappers(tracetape);
    tracetape.patch(target);
    tracetape.patch(target);
    expect(emitted(target)).toEqual(['tracetape', 'original']);
    tracetape.unpatch(target);
    expect(emitted(target)).toEqual(['original']);
  });
});

// An SDK preloaded before the hook (`--require …/auto-instrumentations-node/register`): at each
// hook that loads the module, the app's instrumentation patches first and tracetape's after it.
describe("tracetape's patches over an app's instrumentation that patched first", () => {
  it("took the app's patch out without keepWrappers, which is the fault being kept off", () => {
    const target = module();
    new Patcher('app').patch(target);
    new Patcher('tracetape').patch(target);
    expect(emitted(target)).toEqual(['tracetape', 'original']);
  });

  it("leave the app's patch in place under tracetape's, at each of the two hooks a module is patched at", () => {
    const target = module();
    const app = new Patcher('app');
    const tracetape = new Patcher('tracetape');
    keepWrappers(tracetape, true);
    // `pg/lib/client.js` as it loads, then `pg`: each instrumentation patches the same function twice.
    for (let hook = 0; hook < 2; hook++) {
      app.patch(target);
      tracetape.patch(target);
      expect(emitted(target)).toEqual(['tracetape', 'app', 'original']);
    }
  });

  it("take only tracetape's own patch out on unpatch, never the app's", () => {
    const target = module();
    const tracetape = new Patcher('tracetape');
    keepWrappers(tracetape, true);
    new Patcher('app').patch(target);
    tracetape.patch(target);
    tracetape.unpatch(target);
    expect(emitted(target)).toEqual(['app', 'original']);
    // Nothing of tracetape's left on top: its unpatch leaves the app's alone.
    tracetape.unpatch(target);
    expect(emitted(target)).toEqual(['app', 'original']);
  });
});
