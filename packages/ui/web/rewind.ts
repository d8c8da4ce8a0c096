/**
 * `r`: back to the last step before the side effect at or before `selected`, the state a replay
 * with `--break-at` stops in before anything changed the world. Undefined when there is no side
 * effect at or before `selected`, or it is the first step (nothing comes before it).
 * `steps` in step order.
 */
export function rewindTarget(steps: ReadonlyArray<{ step: number; sideEffect: boolean }>, selected: number): number | undefined {
  let sideEffectIndex = -1;
  for (let i = 0; i < steps.length && steps[i]!.step <= selected; i++) {
    if (steps[i]!.sideEffect) sideEffectIndex = i;
  }
  if (sideEffectIndex <= 0) return undefined;
  return steps[sideEffectIndex - 1]!.step;
}
