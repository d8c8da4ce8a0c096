import { buildInventory } from './build-inventory.js';
import { compareInventory, type InventoryComparison } from './compare-inventory.js';
import type { InventoryCall, InventoryEntry, UnplacedCalls } from './inventory.js';

/** A period: `since` inclusive, `until` exclusive, as ISO 8601 instants. */
export interface InventoryPeriod {
  since: string;
  until: string;
}

/**
 * An inventory of a period as `tracetape inventory --format json` prints it and `tracetape ui`'s
 * /api/inventory answers it: the period, its entries and, with a comparison, what is new.
 */
export interface InventoryReport {
  period: InventoryPeriod;
  /** The one service asked for; absent: every service. */
  service?: string;
  entries: InventoryEntry[];
  /** Calls of kinds this tracetape does not know (recorded by a newer one); absent when none. */
  unplaced?: UnplacedCalls[];
  /** With a comparison: the period before, and what this one did that it did not. */
  compare?: InventoryComparison & { previous: InventoryPeriod };
}

export interface InventoryReportInput {
  period: { since: Date; until: Date };
  service?: string;
  /** The store's calls of the period. */
  current: readonly InventoryCall[];
  /** The calls of the period before, which ends where this one starts: to compare with. */
  previous?: { since: Date; calls: readonly InventoryCall[] };
}

/** Builds the report of a period from the store's calls, compared with the period before when given. */
export function inventoryReport(input: InventoryReportInput): InventoryReport {
  const inventory = buildInventory(input.current);
  const report: InventoryReport = {
    period: { since: input.period.since.toISOString(), until: input.period.until.toISOString() },
    ...(input.service !== undefined ? { service: input.service } : {}),
    entries: inventory.entries,
  };
  if (inventory.unplaced.length > 0) report.unplaced = inventory.unplaced;
  if (input.previous !== undefined) {
    report.compare = {
      previous: { since: input.previous.since.toISOString(), until: report.period.since },
      ...compareInventory(inventory.entries, buildInventory(input.previous.calls).entries),
    };
  }
  return report;
}

/** Whether a compared report found anything new: a new system or a new mutating operation. */
export function somethingNew(report: InventoryReport): boolean {
  return report.compare !== undefined && (report.compare.newSystems.length > 0 || report.compare.newMutatingOperations.length > 0);
}
