import { byText, compareEntries } from './build-inventory.js';
import { INVENTORY_DOORS, type InventoryEntry, type InventorySystem } from './inventory.js';

/** What a period did that the one before it did not: what to alert on. */
export interface InventoryComparison {
  /** Systems a service reached through a door that it did not reach in the previous period. */
  newSystems: InventorySystem[];
  /** Mutating operations not seen (mutating) in the previous period, new systems' included. */
  newMutatingOperations: InventoryEntry[];
}

/**
 * Compares the entries of a period with those of the one before. A system is the same when the
 * same service reached it through the same door; an operation when it also has the same name.
 * Reads new to a known system are not reported: a new write is what changes the risk.
 */
export function compareInventory(current: readonly InventoryEntry[], previous: readonly InventoryEntry[]): InventoryComparison {
  const systemId = (e: Pick<InventoryEntry, 'service' | 'door' | 'system'>): string => JSON.stringify([e.service, e.door, e.system]);
  const operationId = (e: InventoryEntry): string => JSON.stringify([e.service, e.door, e.system, e.operation]);
  const knownSystems = new Set(previous.map(systemId));
  const knownWrites = new Set(previous.filter((e) => e.mutates).map(operationId));

  const systems = new Map<string, InventorySystem>();
  for (const entry of current) {
    const id = systemId(entry);
    if (knownSystems.has(id)) continue;
    const system = systems.get(id);
    if (system === undefined) {
      systems.set(id, { service: entry.service, door: entry.door, system: entry.system, calls: entry.calls, firstSeen: entry.firstSeen });
      continue;
    }
    system.calls += entry.calls;
    if (entry.firstSeen < system.firstSeen) system.firstSeen = entry.firstSeen;
  }
  return {
    newSystems: [...systems.values()].sort(
      (a, b) => byText(a.service, b.service) || INVENTORY_DOORS.indexOf(a.door) - INVENTORY_DOORS.indexOf(b.door) || byText(a.system, b.system),
    ),
    newMutatingOperations: current.filter((e) => e.mutates && !knownWrites.has(operationId(e))).sort(compareEntries),
  };
}
