import type { TapeEntry } from '@tracetape/core';

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
  private readonly finishedFirst = new Map<number, number[]>();
  private readonly answered = new Set<number>();
  private readonly waiters = new Set<() => void>();

  constructor(
    entries: readonly TapeEntry[],
    private readonly maxWaitMs = DEFAULT_MAX_WAIT_MS,
  ) {
    const spans = entries.map((entry) => {
      const start = preciseMs(entry.startTime);
      return { step: entry.step, start, end: start + entry.durationMs };
    });
    for (const span of spans) {
      const before = spans.filter((other) => other.step !== span.step && other.start < span.end && other.end < span.end);
      this.finishedFirst.set(span.step, before.map((other) => other.step));
    }
  }

  /** Resolves once every step that finished before `step` in the recording has been answered. */
  async turn(step: number): Promise<void> {
    const ready = (): boolean => (this.finishedFirst.get(step) ?? []).every((other) => this.answered.has(other));
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
    // The answered response must reach the app before the next one does.
    setImmediate(() => {
      for (const check of [...this.waiters]) check();
    });
  }
}

/** Milliseconds since the epoch, with the sub-millisecond digits (capture records nanoseconds) that Date.parse drops. */
function preciseMs(iso: string): number {
  const beyondMillis = /\.\d{3}(\d+)/.exec(iso)?.[1];
  return Date.parse(iso) + (beyondMillis ? Number(`0.${beyondMillis}`) : 0);
}
