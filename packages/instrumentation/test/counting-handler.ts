import type { SourceHandler } from '../src/index.js';

/** Counts the clock reads the sources hand to the app's handler (excluded callers never reach it), and serves every read real. */
export class CountingHandler implements SourceHandler {
  clocks = 0;
  clock(real: () => number): number {
    this.clocks++;
    return real();
  }
  random(real: () => number): number {
    return real();
  }
  uuid(real: () => string): string {
    return real();
  }
  bytes(size: number, real: (size: number) => Uint8Array): Uint8Array {
    return real(size);
  }
}
