import type { NondeterminismRecord, NondeterminismUsage } from '@tracetape/core';
import type { SourceHandler } from './sources.js';

/**
 * Playback: answers the replayed run's reads from the recording, per source in call order. Past
 * the end of a source, the clock continues from its last recorded value by real elapsed time, and
 * random sources fall back to real randomness; both are counted as reads beyond the recording.
 */
export class NondeterminismPlayer implements SourceHandler {
  private readonly clockValues: number[];
  private readonly used = { clock: 0, random: 0, uuid: 0, bytes: 0 };
  private readonly extra = { clock: 0, random: 0, uuid: 0, bytes: 0 };
  private clockExhaustedAt: number | undefined;

  constructor(
    private readonly record: NondeterminismRecord,
    /** Whether the current read belongs to the replayed run (other traces read the real sources). */
    private readonly inReplayedRun: () => boolean,
  ) {
    let value = record.clock?.start ?? 0;
    this.clockValues = (record.clock?.deltas ?? []).map((delta) => (value += delta));
  }

  clock(real: () => number): number {
    if (!this.inReplayedRun()) return real();
    if (this.used.clock < this.clockValues.length) return this.clockValues[this.used.clock++]!;
    this.extra.clock++;
    const last = this.clockValues.at(-1);
    if (last === undefined) return real();
    this.clockExhaustedAt ??= real();
    return last + (real() - this.clockExhaustedAt);
  }

  random(real: () => number): number {
    return this.next('random', this.record.random, real);
  }

  uuid(real: () => string): string {
    return this.next('uuid', this.record.uuid, real);
  }

  bytes(size: number, real: (size: number) => Uint8Array): Uint8Array {
    if (!this.inReplayedRun()) return real(size);
    const recorded = this.record.bytes?.[this.used.bytes];
    const value = recorded === undefined ? undefined : Buffer.from(recorded, 'base64');
    if (value && value.byteLength === size) {
      this.used.bytes++;
      return value;
    }
    // A read of another size is not the read that was recorded: count it, keep the recording for later.
    this.extra.bytes++;
    return real(size);
  }

  usage(): NondeterminismUsage[] {
    const recorded = {
      clock: this.clockValues.length,
      random: this.record.random?.length ?? 0,
      uuid: this.record.uuid?.length ?? 0,
      bytes: this.record.bytes?.length ?? 0,
    };
    return (['clock', 'random', 'uuid', 'bytes'] as const)
      .filter((source) => recorded[source] > 0 || this.extra[source] > 0)
      .map((source) => ({ source, recorded: recorded[source], served: this.used[source], extra: this.extra[source] }));
  }

  private next<T>(source: 'random' | 'uuid', values: T[] | undefined, real: () => T): T {
    if (!this.inReplayedRun()) return real();
    if (values && this.used[source] < values.length) return values[this.used[source]++]!;
    this.extra[source]++;
    return real();
  }
}
