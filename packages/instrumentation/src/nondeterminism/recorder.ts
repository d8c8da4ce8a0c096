import { context, trace } from '@opentelemetry/api';
import type { NondeterminismRecord } from '@tracetape/core';
import type { SourceHandler } from './sources.js';

interface Readings {
  clock: number[];
  random: number[];
  uuid: string[];
  bytes: string[];
}

/** Capture: passes every read through to the real source and keeps the value, per trace, per source. */
export class NondeterminismRecorder implements SourceHandler {
  private readonly byTrace = new Map<string, Readings>();

  clock(real: () => number): number {
    const value = real();
    this.readings()?.clock.push(value);
    return value;
  }

  random(real: () => number): number {
    const value = real();
    this.readings()?.random.push(value);
    return value;
  }

  uuid(real: () => string): string {
    const value = real();
    this.readings()?.uuid.push(value);
    return value;
  }

  bytes(size: number, real: (size: number) => Uint8Array): Uint8Array {
    const value = real(size);
    this.readings()?.bytes.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
    return value;
  }

  /** The reads of one trace, compacted, and forgotten here; undefined if it read nothing. */
  take(traceId: string): NondeterminismRecord | undefined {
    const readings = this.byTrace.get(traceId);
    this.byTrace.delete(traceId);
    if (!readings) return undefined;
    const record: NondeterminismRecord = {};
    if (readings.clock.length > 0) {
      // Clock readings are close together: deltas keep the stored text short and compress well.
      const start = readings.clock[0]!;
      record.clock = { start, deltas: readings.clock.map((value, i) => (i === 0 ? 0 : value - readings.clock[i - 1]!)) };
    }
    if (readings.random.length > 0) record.random = readings.random;
    if (readings.uuid.length > 0) record.uuid = readings.uuid;
    if (readings.bytes.length > 0) record.bytes = readings.bytes;
    return Object.keys(record).length > 0 ? record : undefined;
  }

  private readings(): Readings | undefined {
    const traceId = trace.getSpan(context.active())?.spanContext().traceId;
    if (!traceId) return undefined;
    let readings = this.byTrace.get(traceId);
    if (!readings) {
      readings = { clock: [], random: [], uuid: [], bytes: [] };
      this.byTrace.set(traceId, readings);
    }
    return readings;
  }
}
