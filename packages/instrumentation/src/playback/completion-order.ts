import type { EndingSignal, TapeEntry } from '@tracetape/core';

/** How long an answer waits for calls that finished before it in the recording but have not been made. */
const DEFAULT_MAX_WAIT_MS = 2_000;

/**
 * Serves concurrent calls in the order they completed in the recording. Racing tool calls whose
 * results the app collects as they arrive must arrive in the recorded order, or the app builds a
 * different next request. A step waits for every step that was in flight with it and finished
 * first; those calls do not depend on its answer (they were made before it came), so they will be
 * made, unless the code changed: then the wait is bounded and the step is answered anyway.
 */
export class CompletionOrder {
  /** Steps in the order they finished in the recording. */
  private readonly byEnd: number[];
  /** Per step: how many steps finished strictly before it (a prefix of `byEnd`). */
  private readonly finishedBefore = new Map<number, number>();
  /** When each step of `byEnd` finished in the recording (ms since the epoch), in the same order. */
  private readonly byEndMs: number[];
  /** How long a prefix of `byEnd` has been answered: a step is ready once it covers its own. */
  private answeredPrefix = 0;
  private readonly answered = new Set<number>();
  private readonly waiters = new Set<() => void>();
  private recordedSignalRaised = false;
  private keepAlive: NodeJS.Timeout | undefined;

  /**
   * `onRecordedSignal`: the signal that ended the recording, due now (see neverAnswer()); the
   * caller raises it in this process.
   */
  constructor(
    entries: readonly TapeEntry[],
    private readonly maxWaitMs = DEFAULT_MAX_WAIT_MS,
    private readonly onRecordedSignal?: (signal: EndingSignal, step: number) => void,
  ) {
    // A step waits for every step that finished before it: the prefix of the steps sorted by end,
    // up to the first that ended with it or later. Counted once, checked in constant time: a
    // list per step made a tape of n sequential calls cost n² at start and n per call.
    const spans = entries
      .map((entry) => {
        const start = preciseMs(entry.startTime);
        return { step: entry.step, end: start + entry.durationMs };
      })
      // A step without a readable time neither waits nor is waited for (no comparison holds for it).
      .filter((span) => Number.isFinite(span.end))
      .sort((a, b) => a.end - b.end);
    this.byEnd = spans.map((span) => span.step);
    this.byEndMs = spans.map((span) => span.end);
    let firstWithThisEnd = 0;
    for (let i = 0; i < spans.length; i++) {
      if (i > 0 && spans[i]!.end !== spans[i - 1]!.end) firstWithThisEnd = i;
      this.finishedBefore.set(spans[i]!.step, firstWithThisEnd);
    }
  }

  /** Resolves once every step that finished before `step` in the recording has been answered. */
  async turn(step: number): Promise<void> {
    await this.untilAnswered(this.finishedBefore.get(step) ?? 0);
  }

  /**
   * A step its recording never had an answer to (its process ended while it waited): never
   * answered here either. When a signal ended the recording, it is handed to `onRecordedSignal`
   * once every step that finished before the signal came has been answered again (bounded as
   * turn() is), so the replayed process ends as the recorded one did, at the same point.
   */
  neverAnswer(entry: TapeEntry): Promise<never> {
    const { signal, signalAt } = entry.response.unanswered ?? {};
    if (signal && this.onRecordedSignal && !this.recordedSignalRaised) {
      const signalMs = signalAt === undefined ? Number.POSITIVE_INFINITY : preciseMs(signalAt);
      const before = this.endsBy(signalMs);
      void this.untilAnswered(before).then(() => {
        if (this.recordedSignalRaised) return;
        this.recordedSignalRaised = true;
        this.onRecordedSignal?.(signal, entry.step);
      });
    }
    // The recorded call kept its process alive while it waited (a socket); so does this one, or
    // an app with nothing else to do would end by itself before the signal comes.
    this.keepAlive ??= setInterval(() => undefined, KEEP_ALIVE_MS);
    return new Promise<never>(() => undefined);
  }

  /** Lets the process end again: the session is over. */
  dispose(): void {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  /** How many steps finished by `ms` in the recording: a prefix of `byEnd`. */
  private endsBy(ms: number): number {
    let count = 0;
    while (count < this.byEndMs.length && this.byEndMs[count]! <= ms) count++;
    return count;
  }

  /** Resolves once the first `prefix` steps of `byEnd` have been answered, or after the bound. */
  private async untilAnswered(prefix: number): Promise<void> {
    const ready = (): boolean => this.answeredPrefix >= prefix;
    if (ready()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.maxWaitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      const check = (): void => {
        if (!ready()) return;
        this.waiters.delete(check);
        done();
      };
      this.waiters.add(check);
    });
  }

  /** Marks a step answered and lets the steps waiting on it go, one event-loop turn later. */
  markAnswered(step: number): void {
    this.answered.add(step);
    while (this.answeredPrefix < this.byEnd.length && this.answered.has(this.byEnd[this.answeredPrefix]!)) this.answeredPrefix++;
    // The answered response must reach the app before the next one does.
    setImmediate(() => {
      for (const check of [...this.waiters]) check();
    });
  }
}

/** How often the timer that stands in for an unanswered call's socket fires: it only has to exist. */
const KEEP_ALIVE_MS = 2 ** 30;

/** Milliseconds since the epoch, with the sub-millisecond digits (capture records nanoseconds) that Date.parse drops. */
function preciseMs(iso: string): number {
  const beyondMillis = /\.\d{3}(\d+)/.exec(iso)?.[1];
  return Date.parse(iso) + (beyondMillis ? Number(`0.${beyondMillis}`) : 0);
}
