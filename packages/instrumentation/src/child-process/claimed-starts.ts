import { AsyncLocalStorage } from 'node:async_hooks';
import type { BoundaryKind } from '@tracetape/core';

/** A door's claim on the next child process started in its context; spent by the first start. */
interface Claim {
  door: BoundaryKind;
  spent: boolean;
}

const claims = new AsyncLocalStorage<Claim>();

/**
 * Runs `start` with the first child process it starts (at once or after awaits) claimed by `door`:
 * a door whose calls travel through a process it starts (the MCP door's stdio server) records the
 * calls itself, so the process is not also a call of the child-process door, nor one of the run's
 * own processes. The claim covers one start only: a program the app starts later from a callback
 * of this context is still a boundary call of its own.
 */
export function claimChildStart<T>(door: BoundaryKind, start: () => T): T {
  return claims.run({ door, spent: false }, start);
}

/** For the child-process door, at every start: the door that claimed this one (the claim is spent), or undefined. */
export function takeChildStartClaim(): BoundaryKind | undefined {
  const claim = claims.getStore();
  if (!claim || claim.spent) return undefined;
  claim.spent = true;
  return claim.door;
}
