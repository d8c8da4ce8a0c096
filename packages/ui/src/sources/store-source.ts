import type { SpanStore } from '@tracetape/clickhouse';
import {
  ATTR_TRACETAPE_REPLAY_OF,
  ATTR_TRACETAPE_REPLAY_OUTCOME,
  ATTR_TRACETAPE_RUN_TYPE,
  parseStoredReplay,
  parseTraceId,
  UnknownTraceError,
  type InventoryCall,
  type Tape,
} from '@tracetape/core';
import type { ReplaySummary, RunListResponse } from '../api.js';
import type { LoadedReplay, LoadedRun, RunFilter, RunSource } from '../run-source.js';
import { replaySummary } from '../views/replay-detail.js';
import { runListItem, runListItemOfTape, storeTimeToIso } from '../views/run-list-item.js';

/**
 * Lends the store for one piece of work. The CLI's session opens it on demand and lets it go when
 * idle, so `tracetape replay` and `tracetape record` still get the embedded store while the viewer runs.
 */
export interface StoreSession {
  readonly location: string;
  use<T>(work: (store: SpanStore) => Promise<T>): Promise<T>;
}

export type TapeBuilder = (store: SpanStore, traceId: string) => Promise<Tape>;

/** How many tapes stay built: scrubbing asks for one step at a time, and a tape rebuilds in seconds for 10,000 steps. */
const TAPES_KEPT = 4;
/** How many replays a run's page lists. */
const REPLAYS_LISTED = 20;
/** How many recent runs the service filter's choices are read from. */
const RUNS_FOR_SERVICES = 1000;

export class StoreRunSource implements RunSource {
  readonly description: string;
  private readonly tapes = new Map<string, Promise<LoadedRun>>();

  constructor(
    private readonly session: StoreSession,
    private readonly buildTape: TapeBuilder,
  ) {
    this.description = session.location;
  }

  async listRuns(filter: RunFilter): Promise<RunListResponse> {
    return this.session.use(async (store) => {
      const attributes = [...filter.attributes];
      if (filter.status === 'diverged') attributes.push({ key: ATTR_TRACETAPE_REPLAY_OUTCOME, value: 'diverged' });
      const summaries = await store.listTraces({
        limit: filter.limit,
        ...(filter.service !== undefined ? { service: filter.service } : {}),
        ...(filter.name !== undefined ? { name: filter.name } : {}),
        ...(filter.status === 'ok' || filter.status === 'error' ? { status: filter.status } : {}),
        ...(filter.since !== undefined ? { since: filter.since } : {}),
        ...(filter.until !== undefined ? { until: filter.until } : {}),
        ...(attributes.length > 0 ? { attributes } : {}),
      });
      const everyService = await store.listTraces({ limit: RUNS_FOR_SERVICES });
      const services = [...new Set(everyService.map((run) => run.serviceName).filter(Boolean))].sort();
      return { runs: summaries.map(runListItem), services };
    });
  }

  loadRun(traceId: string): Promise<LoadedRun> {
    const id = parseTraceId(traceId);
    let loaded = this.tapes.get(id);
    if (!loaded) {
      loaded = this.session.use(async (store) => {
        const tape = await this.buildTape(store, id);
        const [summary] = await store.listTraces({ limit: 1, traceIdPrefix: id });
        return { run: summary ? runListItem(summary) : runListItemOfTape(tape), tape };
      });
      this.tapes.set(id, loaded);
      // A failed build is not kept: the run may be stored by the next try (an ingest was running).
      loaded.catch(() => this.tapes.delete(id));
      while (this.tapes.size > TAPES_KEPT) this.tapes.delete(this.tapes.keys().next().value!);
    }
    return loaded;
  }

  async replaysOf(traceId: string): Promise<ReplaySummary[]> {
    const id = parseTraceId(traceId);
    return this.session.use(async (store) => {
      const listed = await store.listTraces({
        limit: REPLAYS_LISTED,
        attributes: [
          { key: ATTR_TRACETAPE_RUN_TYPE, value: 'replay' },
          { key: ATTR_TRACETAPE_REPLAY_OF, value: id },
        ],
      });
      const replays: ReplaySummary[] = [];
      for (const summary of listed) {
        const replay = await readReplay(store, summary.traceId);
        if (replay) replays.push(replaySummary(replay.traceId, replay.start, replay.stored));
      }
      return replays;
    });
  }

  async loadReplay(replayTraceId: string): Promise<LoadedReplay> {
    const id = parseTraceId(replayTraceId);
    const replay = await this.session.use((store) => readReplay(store, id));
    if (!replay) throw new UnknownTraceError(id, `${this.description} (as a stored replay)`);
    return replay;
  }

  inventoryCalls(period: { since: Date; until: Date }): Promise<InventoryCall[]> {
    return this.session.use((store) => store.inventoryCalls(period));
  }
}

async function readReplay(store: SpanStore, traceId: string): Promise<LoadedReplay | undefined> {
  for (const span of await store.getTraceSpans(traceId)) {
    const stored = parseStoredReplay(span.SpanAttributes);
    if (stored) return { traceId, start: storeTimeToIso(span.Timestamp), stored };
  }
  return undefined;
}
