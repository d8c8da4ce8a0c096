import { ATTR_GEN_AI_REQUEST_MODEL, ATTR_SERVER_ADDRESS, ATTR_TRACETAPE_INPUT_HASH, parseTraceId, UnknownTraceError, type InventoryCall, type Tape, type TapeEntry } from '@tracetape/core';
import type { ReplaySummary, RunListResponse } from '../api.js';
import { UiRequestError } from '../errors.js';
import type { LoadedReplay, LoadedRun, RunFilter, RunSource } from '../run-source.js';
import { runListItemOfTape } from '../views/run-list-item.js';

/** What a tape's entries say for the attributes a user filters by; others match nothing. */
const ENTRY_ATTRIBUTES: Record<string, (entry: TapeEntry) => string | undefined> = {
  [ATTR_GEN_AI_REQUEST_MODEL]: (entry) => entry.llm?.requestModel,
  [ATTR_TRACETAPE_INPUT_HASH]: (entry) => entry.inputHash,
  [ATTR_SERVER_ADDRESS]: (entry) => hostOf(entry.request.normalized.url),
};

/** `tracetape ui --tape <file>`: one run, read from a tape file, with no store behind it. */
export class TapeRunSource implements RunSource {
  readonly description: string;
  private readonly loaded: LoadedRun;

  constructor(tape: Tape, file: string) {
    this.description = `tape file ${file}`;
    this.loaded = { run: runListItemOfTape(tape), tape };
  }

  async listRuns(filter: RunFilter): Promise<RunListResponse> {
    const { run, tape } = this.loaded;
    const matches =
      (filter.service === undefined || run.serviceName === filter.service) &&
      (filter.name === undefined || run.name.toLowerCase().includes(filter.name.toLowerCase())) &&
      (filter.status === undefined || (filter.status === 'error') === (run.status === 'Error')) &&
      filter.status !== 'diverged' &&
      (filter.since === undefined || run.start >= filter.since.toISOString()) &&
      (filter.until === undefined || run.start <= filter.until.toISOString()) &&
      filter.attributes.every(({ key, value }) => tape.entries.some((entry) => ENTRY_ATTRIBUTES[key]?.(entry) === value));
    return { runs: matches && filter.limit > 0 ? [run] : [], services: [run.serviceName] };
  }

  async loadRun(traceId: string): Promise<LoadedRun> {
    if (parseTraceId(traceId) !== this.loaded.tape.traceId) throw new UnknownTraceError(traceId, this.description);
    return this.loaded;
  }

  async replaysOf(): Promise<ReplaySummary[]> {
    return [];
  }

  async loadReplay(replayTraceId: string): Promise<LoadedReplay> {
    throw new UnknownTraceError(replayTraceId, `${this.description}, which holds no replays (run \`tracetape ui\` over the store to see them)`);
  }

  /**
   * A tape keeps less of each call than the store's spans (no database user, no executable or
   * statement attributes): an inventory built from it would differ from the store's for the same
   * run, so it is refused rather than answered half.
   */
  async inventoryCalls(): Promise<InventoryCall[]> {
    throw new UiRequestError(
      404,
      'TRACETAPE_UI_INVENTORY_NEEDS_STORE',
      `The inventory reads the store, and this viewer shows one ${this.description}. Run \`tracetape ui\` without --tape to see the inventory of the recorded runs, or \`tracetape inventory\` in a terminal.`,
    );
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
