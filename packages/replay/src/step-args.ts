import { TracetapeError, type Tape } from '@tracetape/core';

/** A replay option names a step wrongly: not a number, or not on the tape. */
export class StepArgumentError extends TracetapeError {
  constructor(message: string) {
    super('TRACETAPE_BAD_STEP', message);
  }
}

/** A step number as the user typed it after `flag` (steps are numbered as `tracetape tape <traceId>` prints them). */
export function parseStepNumber(value: string, flag: string): number {
  const step = Number(value.trim());
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(step) || step < 1) {
    throw new StepArgumentError(`${flag} needs a step number (1, 2, …), not "${value}". List the steps with \`tracetape tape <traceId>\`.`);
  }
  return step;
}

/** Refuses, before anything runs, a step the tape does not hold. */
export function requireStepOnTape(tape: Tape, step: number, flag: string): void {
  if (tape.entries.some((entry) => entry.step === step)) return;
  const steps = tape.entries.map((entry) => entry.step);
  const held = steps.length === 0 ? 'it holds no steps' : `its steps are ${Math.min(...steps)} to ${Math.max(...steps)}`;
  throw new StepArgumentError(
    `${flag}: the tape of trace ${tape.traceId} has no step ${step} (${held}). List the steps with \`tracetape tape ${tape.traceId}\`.`,
  );
}
