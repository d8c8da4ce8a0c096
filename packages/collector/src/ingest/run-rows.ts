import { formatNanos, type RunRow } from '@tracetape/clickhouse';
import type { ControlRecord } from '@tracetape/log';

/** The run rows a batch of control records makes, newest last; `now` orders them after earlier batches. */
export class RunRowsBuilder {
  readonly rows: RunRow[] = [];
  /** Writers whose log ended for good in this batch: their runs still recording are complete. */
  readonly finishedWriters = new Set<string>();
  private readonly started = new Map<string, RunRow>();
  private tick = 0n;

  constructor(private readonly nowNs: bigint) {}

  add(writer: string, control: ControlRecord): void {
    if (control.kind === 'run-start') {
      const row: RunRow = {
        TraceId: control.traceId,
        Writer: writer,
        Name: control.name,
        ServiceName: control.serviceName,
        Pid: control.pid,
        ProcessPath: control.processPath,
        State: 'recording',
        LostSpans: 0,
        Reason: '',
        Started: formatNanos(BigInt(control.startNs)),
        Updated: this.updated(),
      };
      this.started.set(`${control.traceId}/${writer}`, row);
      this.rows.push(row);
    } else if (control.kind === 'loss') {
      const known = this.started.get(`${control.traceId}/${writer}`);
      this.rows.push({
        ...(known ?? blankRun(control.traceId, writer, this.updated())),
        State: 'incomplete',
        // Writers count losses per trace from their start: the latest figure is the whole loss.
        LostSpans: control.spans,
        Reason: control.reason,
        Updated: this.updated(),
      });
    } else if (control.final) {
      this.finishedWriters.add(writer);
    }
  }

  /** `earlier` rows (from the store and this batch) of a writer that ended: recording → complete or incomplete. */
  settle(writer: string, earlier: readonly RunRow[], outcome: { state: 'complete' } | { state: 'incomplete'; reason: string }): void {
    const latest = new Map<string, RunRow>();
    for (const row of [...earlier, ...this.rows]) if (row.Writer === writer) latest.set(row.TraceId, row);
    for (const row of latest.values()) {
      if (row.State !== 'recording') continue;
      this.rows.push({ ...row, State: outcome.state, Reason: outcome.state === 'complete' ? '' : outcome.reason, Updated: this.updated() });
    }
  }

  private updated(): string {
    // Nanoseconds apart, so rows of one batch keep their order under argMax(…, Updated).
    return formatNanos(this.nowNs + this.tick++);
  }
}

function blankRun(traceId: string, writer: string, at: string): RunRow {
  const pid = Number(writer.split('-')[1] ?? 0);
  return { TraceId: traceId, Writer: writer, Name: '', ServiceName: '', Pid: pid, ProcessPath: '', State: 'incomplete', LostSpans: 0, Reason: '', Started: at, Updated: at };
}
