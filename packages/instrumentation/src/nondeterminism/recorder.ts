import { context, trace } from '@opentelemetry/api';
import type { NondeterminismRecord } from '@tracetape/core';
import type { SourceHandler } from './sources.js';

interface Readings {
  clock: number[];
  random: number[];
  uuid: string[];
  bytes: string[];
}

interface OpenTrace {
  readings: Readings;
  /** Root spans of the trace in this process that have started and not yet ended. */
  openRoots: number;
}

/**
 * Capture: passes every read through to the real source and keeps the value, per trace, per source,
 * while a root span of the trace is open in this process (open() to take()). A read after the last
 * of them ended (a timer a request left behind) has no span left to go on: it is not kept, so a
 * service holds reads only for the requests it is serving, not one entry for every trace it served.
 */
export class NondeterminismRecorder implements SourceHandler {
  private readonly byTrace = new Map<string, OpenTrace>();

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

  /** A root span of the trace started in this process: its reads are kept from now on. */
  open(traceId: string): void {
    const open = this.byTrace.get(traceId);
    if (open) open.openRoots++;
    else this.byTrace.set(traceId, { readings: emptyReadings(), openRoots: 1 });
  }

  /**
   * A root span of the trace ended: the trace's reads so far, compacted, and forgotten here (all
   * of the trace once its last open root ended); undefined if it read nothing.
   */
  take(traceId: string): NondeterminismRecord | undefined {
    const open = this.byTrace.get(traceId);
    if (!open) return undefined;
    const readings = open.readings;
    if (--open.openRoots <= 0) this.byTrace.delete(traceId);
    else open.readings = emptyReadings();
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

  /** Traces whose reads are held: those with a root span open in this process. */
  get openTraces(): number {
    return this.byTrace.size;
  }

  private readings(): Readings | undefined {
    const traceId = trace.getSpan(context.active())?.spanContext().traceId;
    return traceId === undefined ? undefined : this.byTrace.get(traceId)?.readings;
  }
}

function emptyReadings(): Readings {
  return { clock: [], random: [], uuid: [], bytes: [] };
}
