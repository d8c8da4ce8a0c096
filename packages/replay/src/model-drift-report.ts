import { allowanceText, renderDiffTable, type BlockedCall, type ServedStep } from '@tracetape/core';

/** Report lines for an LLM call blocked because it asked for another model or other sampling parameters. */
export function blockedDriftLines(call: BlockedCall & { modelDrift: NonNullable<BlockedCall['modelDrift']> }): string[] {
  const { recordedModel, currentModel } = call.modelDrift;
  const change =
    recordedModel === currentModel
      ? `asks model "${currentModel}" with other sampling parameters than step ${call.closestStep} was recorded with`
      : `asks model "${currentModel}", but step ${call.closestStep} was recorded with model "${recordedModel}"`;
  const lines = [`tracetape: MODEL DRIFT at call #${call.callIndex}: ${call.method} ${call.url} ${change}; blocked.`];
  if (call.diff.length > 0) lines.push(renderDiffTable(call.diff).replace(/^/gm, '  '));
  lines.push(`  to serve the recorded answer anyway: tracetape replay --allow-model-drift ${allowanceText(call.modelDrift)} …`);
  return lines;
}

/** Report lines for the calls served across an allowed model drift: the output came from another model. */
export function servedDriftLines(served: readonly ServedStep[]): string[] {
  return served.flatMap((step) =>
    step.modelDrift
      ? [
          `tracetape: model drift allowed: step ${step.step} ${step.method} ${step.url} was recorded with model "${step.modelDrift.recordedModel}" ` +
            `and served to a call asking "${step.modelDrift.currentModel}"`,
        ]
      : [],
  );
}
