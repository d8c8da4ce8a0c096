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
  traceId: string;
  /** Made at the first read: most requests read nothing, and each opens a trace. */
  readings?: Readings;
  /** Root spans of the trace in this process that have started and not yet ended. */
  openRoots: number;
  /** Characters of base64 in `readings.bytes`. */
  bytesChars: number;
}

/**
 * Reads kept per trace and source. A server's own run (its process span) stays open for as long
 * as it runs, and a background job there (a timer making IDs) reads without end: past this, its
 * reads are passed through and not kept, and a replay of that run answers them from the real
 * source, counted as reads beyond the recording (the replay report says how many).
 */
export const MAX_READS_PER_SOURCE = 100_000;
/** Random bytes kept per trace, as base64 characters: a read may be of any size. */
export const MAX_BYTES_CHARS = 16 * 1024 * 1024;

/**
 * Capture: passes every read through to the real source and keeps the value, per trace, per source,
 * while a root span of the trace is open in this process (open() to take()). A read after the last
 * of them ended (a timer a request left behind) has no span left to go on: it is not kept, so a
 * service holds reads only for the requests it is serving, not one entry for every trace it served.
 */
export class NondeterminismRecorder implements SourceHandler {
  private readonly byTrace = new Map<string, OpenTrace>();
  private readonly toldFull = new Set<keyof Readings>();

  constructor(private readonly maxReadsPerSource: number = MAX_READS_PER_SOURCE) {}

  clock(real: () => number): number {
    const value = real();
    this.keep('clock', value);
    return value;
  }

  random(real: () => number): number {
    const value = real();
    this.keep('random', value);
    return value;
  }

  uuid(real: () => string): string {
    const value = real();
    this.keep('uuid', laidFlat(value));
    return value;
  }

  bytes(size: number, real: (size: number) => Uint8Array): Uint8Array {
    const value = real(size);
    const open = this.current();
    if (open && this.hasRoom(open, 'bytes')) {
      const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      open.bytesChars += text.length;
      (open.readings ??= emptyReadings()).bytes.push(text);
    }
    return value;
  }

  /** A root span of the trace started in this process: its reads are kept from now on. */
  open(traceId: string): void {
    const open = this.byTrace.get(traceId);
    if (open) open.openRoots++;
    else this.byTrace.set(traceId, { traceId, openRoots: 1, bytesChars: 0 });
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
    else {
      open.readings = undefined;
      open.bytesChars = 0;
    }
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

  /**
   * A root span of the trace ended that another root of the trace, started inside it, takes the
   * reads for: the reads stay for that one.
   */
  release(traceId: string): void {
    const open = this.byTrace.get(traceId);
    if (open && --open.openRoots <= 0) this.byTrace.delete(traceId);
  }

  /** Traces whose reads are held: those with a root span open in this process. */
  get openTraces(): number {
    return this.byTrace.size;
  }

  private current(): OpenTrace | undefined {
    const traceId = trace.getSpan(context.active())?.spanContext().traceId;
    return traceId === undefined ? undefined : this.byTrace.get(traceId);
  }

  private keep<Source extends 'clock' | 'random' | 'uuid'>(source: Source, value: Readings[Source][number]): void {
    const open = this.current();
    if (open && this.hasRoom(open, source)) ((open.readings ??= emptyReadings())[source] as Array<typeof value>).push(value);
  }

  private hasRoom(open: OpenTrace, source: keyof Readings): boolean {
    if ((open.readings?.[source].length ?? 0) < this.maxReadsPerSource && (source !== 'bytes' || open.bytesChars < MAX_BYTES_CHARS)) return true;
    if (!this.toldFull.has(source)) {
      this.toldFull.add(source);
      process.stderr.write(
        `tracetape: trace ${open.traceId} made more than ${this.maxReadsPerSource} ${SOURCE_NAMES[source]} reads in this process${source === 'bytes' ? ` (or ${MAX_BYTES_CHARS / 1024 / 1024} MiB of them)` : ''}; later ones are not recorded (a replay answers them from the real source and counts them as beyond the recording)\n`,
      );
    }
    return false;
  }
}

/**
 * Node builds a UUID by joining hex pieces, and a string kept as it came holds that tree of pieces:
 * 490 bytes a UUID, measured, against 66 for a flat copy. normalize() hands back a flat string
 * (an ASCII UUID is its own normal form); charCodeAt() and indexOf() left the tree in place.
 */
function laidFlat(text: string): string {
  return text.normalize();
}

const SOURCE_NAMES: Record<keyof Readings, string> = { clock: 'clock', random: 'Math.random', uuid: 'random UUID', bytes: 'random bytes' };

function emptyReadings(): Readings {
  return { clock: [], random: [], uuid: [], bytes: [] };
}
