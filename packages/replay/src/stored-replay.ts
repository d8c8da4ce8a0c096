import { randomBytes } from 'node:crypto';
import { formatNanos, type SpanRow } from '@tracetape/clickhouse';
import {
  ATTR_TRACETAPE_CHECK_INTERVAL_S,
  ATTR_TRACETAPE_CHECK_MODE,
  ATTR_TRACETAPE_CHECK_VERDICT,
  ATTR_TRACETAPE_FIXTURE_ID,
  ATTR_TRACETAPE_REPLAY_OF,
  ATTR_TRACETAPE_REPLAY_OUTCOME,
  ATTR_TRACETAPE_REPLAY_REPORT,
  ATTR_TRACETAPE_RUN_TYPE,
  type StoredReplay,
  type Tape,
} from '@tracetape/core';

/** The name of a stored replay's span: what Grafana and the runs list show as the run's name. */
export const STORED_REPLAY_SPAN_NAME = 'tracetape replay';

/** The name of a stored check run's span. */
export const STORED_CHECK_SPAN_NAME = 'tracetape check';

/**
 * One span for a whole replay: its own trace, linked to the root of the run it replayed, in the
 * run's service, so the store lists production runs and their replays side by side. The replayed
 * process itself records nothing (its spans go nowhere in playback), so this span is the replay's
 * only trace in the store.
 */
export function storedReplaySpan(tape: Tape, replay: StoredReplay, startedMs: number, endedMs: number): SpanRow {
  const traceId = randomBytes(16).toString('hex');
  const startNanos = BigInt(Math.round(startedMs)) * 1_000_000n;
  const durationNanos = BigInt(Math.max(0, Math.round(endedMs - startedMs))) * 1_000_000n;
  return {
    Timestamp: formatNanos(startNanos),
    TraceId: traceId,
    SpanId: randomBytes(8).toString('hex'),
    ParentSpanId: '',
    TraceState: '',
    SpanName: replay.check ? `${STORED_CHECK_SPAN_NAME} ${replay.check.fixture}` : STORED_REPLAY_SPAN_NAME,
    SpanKind: 'Internal',
    ServiceName: tape.serviceName,
    ResourceAttributes: { 'service.name': tape.serviceName },
    ScopeName: '@tracetape/replay',
    ScopeVersion: '',
    SpanAttributes: {
      [ATTR_TRACETAPE_RUN_TYPE]: 'replay',
      [ATTR_TRACETAPE_REPLAY_OF]: tape.traceId,
      [ATTR_TRACETAPE_REPLAY_OUTCOME]: replay.outcome,
      [ATTR_TRACETAPE_REPLAY_REPORT]: JSON.stringify(replay),
      // A check's verdict as attributes of their own, for SQL and the fixture-health panel.
      ...(replay.check
        ? {
            [ATTR_TRACETAPE_FIXTURE_ID]: replay.check.fixture,
            [ATTR_TRACETAPE_CHECK_VERDICT]: replay.check.verdict,
            [ATTR_TRACETAPE_CHECK_MODE]: replay.check.mode,
            [ATTR_TRACETAPE_CHECK_INTERVAL_S]: String(replay.check.intervalSeconds),
          }
        : {}),
    },
    Duration: durationNanos.toString(),
    // A diverged replay is a failed run of the code under replay: it shows with the error runs.
    StatusCode: replay.outcome === 'diverged' ? 'Error' : 'Ok',
    StatusMessage: replay.outcome === 'diverged' ? 'the replay diverged from its recording' : '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [tape.traceId],
    'Links.SpanId': [tape.rootSpanId ?? ''],
    'Links.TraceState': [''],
    'Links.Attributes': [{ [ATTR_TRACETAPE_REPLAY_OF]: tape.traceId }],
  };
}
