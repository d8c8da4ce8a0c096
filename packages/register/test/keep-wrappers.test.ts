import { InstrumentationBase, type InstrumentationConfig } from '@opentelemetry/instrumentation';
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
  patch(target: { emit: (calls: string[]) => void }): void {
    const mark = this.mark;
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
