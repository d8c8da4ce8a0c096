import { checkClaims, findRepeatedSideEffects, inventoryReport, UnknownTraceError, type ClaimsConfig } from '@tracetape/core';
import type { InventoryResponse, ReplayDetail, RunDetail, StepDetail } from '../api.js';
import { UiRequestError } from '../errors.js';
import type { RunSource } from '../run-source.js';
import { compareRuns } from '../views/compare-runs.js';
import { replayDetail } from '../views/replay-detail.js';
import { stepDetail } from '../views/step-detail.js';
import { stepSummaries } from '../views/step-summary.js';
import { parseInventoryQuery } from './inventory-query.js';
import { parseRunFilter } from './run-filter.js';

/** A claims mapping and the file it came from. */
export interface ClaimsSource {
  file: string;
  config: ClaimsConfig;
}

/** Answers one GET under /api with the JSON of api.ts; throws what it refuses (see errors.ts). */
export async function answerApi(source: RunSource, url: URL, claims?: ClaimsSource): Promise<unknown> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const [resource, id, sub, n, ...rest] = parts;
  if (resource === 'runs' && id === undefined) return source.listRuns(parseRunFilter(url.searchParams));
  if (resource === 'runs' && id !== undefined && sub === undefined) return runDetail(source, id, claims);
  if (resource === 'runs' && id !== undefined && sub === 'steps' && n !== undefined && rest.length === 0) return stepOf(source, id, n);
  if (resource === 'replays' && id !== undefined && sub === undefined) return replayOf(source, id);
  if (resource === 'compare' && id === undefined) return compare(source, url.searchParams);
  if (resource === 'inventory' && id === undefined) return inventory(source, url.searchParams);
  throw new UiRequestError(
    404,
    'TRACETAPE_UI_NO_ROUTE',
    `No such API: ${url.pathname}. The API has /api/runs, /api/runs/<traceId>, /api/runs/<traceId>/steps/<n>, /api/replays/<traceId>, /api/compare?a=&b= and /api/inventory.`,
  );
}

async function runDetail(source: RunSource, traceId: string, claims: ClaimsSource | undefined): Promise<RunDetail> {
  const { run, tape } = await source.loadRun(traceId);
  const reads = tape.nondeterminism;
  const replays = await source.replaysOf(tape.traceId);
  // The recording does not keep its command line; the latest replay of it does, and is what
  // `--override` needs to run again.
  const command = replays.find((replay) => replay.command.length > 0)?.command;
  return {
    run: {
      ...run,
      rootKind: tape.rootKind ?? 'process',
      ...(tape.incomplete ? { incomplete: tape.incomplete.reason } : {}),
      ...(command ? { command } : {}),
    },
    steps: stepSummaries(tape),
    reads: {
      clock: reads?.clock?.deltas.length ?? 0,
      random: reads?.random?.length ?? 0,
      uuid: reads?.uuid?.length ?? 0,
      bytes: reads?.bytes?.length ?? 0,
    },
    replays,
    findings: {
      repeated: findRepeatedSideEffects(tape),
      ...(claims && { claims: { file: claims.file, check: checkClaims(tape, claims.config) } }),
    },
  };
}

async function stepOf(source: RunSource, traceId: string, text: string): Promise<StepDetail> {
  const { tape } = await source.loadRun(traceId);
  const step = Number(text);
  const entry = Number.isInteger(step) ? tape.entries.find((e) => e.step === step) : undefined;
  if (!entry) {
    const range = tape.entries.length > 0 ? `steps 1 to ${tape.entries.length}` : 'no steps';
    throw new UiRequestError(404, 'TRACETAPE_UI_NO_STEP', `Run ${tape.traceId} has no step "${text}": it has ${range}.`);
  }
  return stepDetail(tape, entry);
}

async function replayOf(source: RunSource, traceId: string): Promise<ReplayDetail> {
  const replay = await source.loadReplay(traceId);
  // The recording may be gone (retention) while its replay is kept: the replay still shows.
  const recording = await source.loadRun(replay.stored.report.traceId).then(
    (loaded) => loaded.tape,
    (error: unknown) => {
      if (error instanceof UnknownTraceError) return undefined;
      throw error;
    },
  );
  return replayDetail(replay.traceId, replay.start, replay.stored, recording);
}

async function compare(source: RunSource, query: URLSearchParams) {
  const a = query.get('a')?.trim();
  const b = query.get('b')?.trim();
  if (!a || !b) throw new UiRequestError(400, 'TRACETAPE_UI_COMPARE_WHAT', 'Compare which runs? Give two trace IDs: /api/compare?a=<traceId>&b=<traceId>.');
  const [runA, runB] = await Promise.all([source.loadRun(a), source.loadRun(b)]);
  return compareRuns(runA, runB);
}

async function inventory(source: RunSource, query: URLSearchParams): Promise<InventoryResponse> {
  const { since, until, service, previousSince } = parseInventoryQuery(query);
  const [current, previous] = await Promise.all([
    source.inventoryCalls({ since, until }),
    previousSince !== undefined ? source.inventoryCalls({ since: previousSince, until: since }) : undefined,
  ]);
  // Every service's calls are read, so the service filter can offer them all; one is kept here.
  const ofService = <T extends { service: string }>(calls: readonly T[]): T[] => (service === undefined ? [...calls] : calls.filter((call) => call.service === service));
  const report = inventoryReport({
    period: { since, until },
    ...(service !== undefined ? { service } : {}),
    current: ofService(current),
    ...(previous !== undefined && previousSince !== undefined ? { previous: { since: previousSince, calls: ofService(previous) } } : {}),
  });
  return { ...report, services: [...new Set(current.map((call) => call.service).filter(Boolean))].sort() };
}
