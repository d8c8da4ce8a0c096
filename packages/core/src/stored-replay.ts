import { ATTR_TRACETAPE_REPLAY_REPORT, ATTR_TRACETAPE_RUN_TYPE } from './attributes.js';
import type { CheckMode } from './contract/check-contract.js';
import type { ClauseResult, Verdict } from './contract/contract.js';
import type { ReplayReport } from './matcher.js';

/**
 * What a replay observed, as `tracetape replay` stores it on its span (`tracetape.replay.report`)
 * and `tracetape ui` reads it back.
 */
export interface StoredReplay {
  report: ReplayReport;
  /** The replayed command, as given after `--`. */
  command: string[];
  exitCode: number;
  /**
   * The command's exit was tracetape's doing, not held against the replay: stopped after its
   * answer, or ended by the signal that ended its recording (see `report.endedAsRecorded`).
   * Absent in replays stored before it was kept.
   */
  exitEndedByTracetape?: boolean;
  /** What `tracetape replay` exits with: a blocked call or a failed command diverged. */
  outcome: 'passed' | 'diverged';
  /** For a `tracetape check` run: the fixture, its verdict and why. */
  check?: StoredCheck;
}

export interface StoredCheck {
  fixture: string;
  mode: CheckMode;
  verdict: Verdict;
  reasons: string[];
  clauses: ClauseResult[];
  /** The fixture's interval: not checked within it, it is stale. */
  intervalSeconds: number;
}

/** A stored replay read back from its span's attributes; undefined when the span is not one, or its JSON is damaged. */
export function parseStoredReplay(attributes: Readonly<Record<string, string>>): StoredReplay | undefined {
  if (attributes[ATTR_TRACETAPE_RUN_TYPE] !== 'replay') return undefined;
  const text = attributes[ATTR_TRACETAPE_REPLAY_REPORT];
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredReplay> | null;
    if (!value || typeof value !== 'object' || !value.report || !Array.isArray(value.command) || typeof value.exitCode !== 'number') return undefined;
    if (value.outcome !== 'passed' && value.outcome !== 'diverged') return undefined;
    return value as StoredReplay;
  } catch {
    return undefined;
  }
}
