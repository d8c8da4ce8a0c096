import { isoToMs } from '../iso-time.js';
import { INVENTORY_DOORS, type Inventory, type InventoryCall, type InventoryEntry, type UnplacedCalls } from './inventory.js';
import { inventoryKey } from './inventory-key.js';

/**
 * Folds the store's groups of calls into inventory entries: one per service, door, system,
 * operation and whether it mutates (a Redis family that both reads and writes is two entries,
 * so a new write stands out). Sorted by service, door, system, operation, reads before writes:
 * the same calls always give the same inventory.
 */
export function buildInventory(calls: readonly InventoryCall[]): Inventory {
  const entries = new Map<string, InventoryEntry & { firstMs: number; lastMs: number; credentialSet: Set<string> }>();
  const unplaced = new Map<string, number>();
  for (const call of calls) {
    const key = inventoryKey(call);
    if (key === undefined) {
      unplaced.set(call.kind, (unplaced.get(call.kind) ?? 0) + call.calls);
      continue;
    }
    const id = JSON.stringify([call.service, key.door, key.system, key.operation, key.mutates]);
    const firstMs = storedTimeMs(call.firstSeen);
    const lastMs = storedTimeMs(call.lastSeen);
    const entry = entries.get(id);
    if (entry === undefined) {
      entries.set(id, {
        service: call.service,
        ...key,
        calls: call.calls,
        errors: call.errors,
        errorRate: 0,
        firstSeen: '',
        lastSeen: '',
        credentials: [],
        firstMs,
        lastMs,
        credentialSet: new Set(call.credentials),
      });
      continue;
    }
    entry.calls += call.calls;
    entry.errors += call.errors;
    entry.firstMs = Math.min(entry.firstMs, firstMs);
    entry.lastMs = Math.max(entry.lastMs, lastMs);
    for (const name of call.credentials) entry.credentialSet.add(name);
  }
  const built = [...entries.values()].map(({ firstMs, lastMs, credentialSet, ...entry }): InventoryEntry => ({
    ...entry,
    errorRate: entry.calls > 0 ? Math.round((entry.errors / entry.calls) * 10_000) / 10_000 : 0,
    firstSeen: new Date(firstMs).toISOString(),
    lastSeen: new Date(lastMs).toISOString(),
    credentials: [...credentialSet].sort(byText),
  }));
  return {
    entries: built.sort(compareEntries),
    unplaced: [...unplaced].map(([kind, count]): UnplacedCalls => ({ kind, calls: count })).sort((a, b) => byText(a.kind, b.kind)),
  };
}

/** The order inventories list entries in: service, door (INVENTORY_DOORS), system, operation, reads first. */
export function compareEntries(a: InventoryEntry, b: InventoryEntry): number {
  return (
    byText(a.service, b.service) ||
    INVENTORY_DOORS.indexOf(a.door) - INVENTORY_DOORS.indexOf(b.door) ||
    byText(a.system, b.system) ||
    byText(a.operation, b.operation) ||
    Number(a.mutates) - Number(b.mutates)
  );
}

/** By code unit, not locale: the same order on every machine. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC, as the store writes times) in milliseconds since the epoch. */
function storedTimeMs(text: string): number {
  return isoToMs(text.replace(' ', 'T'));
}
