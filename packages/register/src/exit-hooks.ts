import { hrTime, hrTimeToTimeStamp } from '@opentelemetry/core';
import { ENDING_SIGNALS, type UnansweredCall } from '@tracetape/core';

/**
 * How soon after a signal the process must end for the signal to count as what ended it: a
 * supervisor's grace period (Kubernetes gives 30 s) with room to spare.
 */
const SIGNAL_ENDS_WITHIN_MS = 60_000;

export interface ExitHooks {
  /** Async flush, used where the event loop still runs (beforeExit, signals). */
  flush(): Promise<void>;
  /**
   * Synchronous last word: on 'exit' (process.exit(), uncaught exception, end of script) and before
   * re-raising a signal. Runs once. `end` names the signal that came first, if one did (an app
   * that listens to it exits later, by itself): what a call left unanswered is recorded with.
   */
  flushSync(end: UnansweredCall): void;
  /** Upper bound for an async flush, so a slow store never holds a process that wants to stop. */
  timeoutMs: number;
}

/**
 * Flushes on every way a Node process ends. Signals are re-raised after the flush when nobody else
 * listens to them, so the process still dies by the signal as it would have without tracetape
 * (and then no 'exit' event comes, so the synchronous part runs first).
 */
export function installExitHooks(hooks: ExitHooks): void {
  let flushedAsync = false;
  let flushedSync = false;
  const end: UnansweredCall = {};
  let signalMs = 0;
  const flushSyncOnce = (): void => {
    if (flushedSync) return;
    flushedSync = true;
    // A signal long before the exit did not end the process (the app handled it and ran on).
    hooks.flushSync(Date.now() - signalMs <= SIGNAL_ENDS_WITHIN_MS ? end : {});
  };
  process.on('beforeExit', () => {
    if (flushedAsync) return;
    flushedAsync = true;
    void bounded(hooks.flush(), hooks.timeoutMs);
  });
  process.once('exit', flushSyncOnce);
  for (const signal of ENDING_SIGNALS) {
    let flushing = false;
    const onSignal = (): void => {
      // The last signal is the one the process ends by: an app may handle an earlier one (SIGHUP
      // to reload) and carry on. On the spans' clock, which the replay compares it with.
      end.signal = signal;
      end.signalAt = hrTimeToTimeStamp(hrTime());
      signalMs = Date.now();
      // The same Ctrl-C often comes twice (the terminal's, and `tracetape record` passing it on):
      // one flush, and the second must not kill the process before it is done.
      if (flushing) return;
      flushing = true;
      void bounded(hooks.flush(), hooks.timeoutMs).finally(() => {
        flushing = false;
        // An app that listens decides for itself, and its exit comes later.
        if (process.listenerCount(signal) > 1) return;
        // Nobody else listens: the signal ends the process now. The synchronous flush, as on
        // 'exit', first records what is still open (a child the same Ctrl-C reached has ended by
        // now, and says so).
        flushSyncOnce();
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}

async function bounded(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
