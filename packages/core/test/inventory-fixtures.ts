import type { InventoryCall } from '@tracetape/core';

/** A group of calls as the store returns it, with every field a span may lack left empty. */
export function makeCall(fields: Partial<InventoryCall>): InventoryCall {
  return {
    service: 'support-agent',
    kind: 'http',
    method: 'GET',
    target: '',
    host: '',
    toolName: '',
    provider: '',
    model: '',
    executable: '',
    firstArgument: '',
    dbSystem: '',
    dbNamespace: '',
    statement: '',
    sideEffect: '',
    calls: 1,
    errors: 0,
    firstSeen: '2026-06-01 10:00:00.000000000',
    lastSeen: '2026-06-01 10:00:00.000000000',
    credentials: [],
    ...fields,
  };
}
