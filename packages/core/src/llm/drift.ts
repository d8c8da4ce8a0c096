import { canonicalJson } from '../canonical-json.js';
import { ConfigError } from '../errors.js';
import type { NormalizedRequest } from '../tape.js';
import { recognizeLlmRequest } from './recognize.js';

/** A recorded LLM call asked for again with another model and/or other sampling parameters. */
export interface ModelDrift {
  recordedModel: string;
  currentModel: string;
}

/** The user's permission to serve calls recorded with model `from` to calls asking for model `to`. */
export interface ModelDriftAllowance {
  from: string;
  to: string;
}

/**
 * The drift between a recorded request and the current one, when both call the same LLM API and
 * differ in nothing but the model and the sampling parameters each shape lists (its
 * *_TUNING_FIELDS). Undefined for any other difference: that is an ordinary divergence.
 */
export function modelDriftBetween(recorded: NormalizedRequest, current: NormalizedRequest): ModelDrift | undefined {
  if (recorded.method !== current.method || canonicalJson(recorded.headers) !== canonicalJson(current.headers)) return undefined;
  const before = recognizeLlmRequest(recorded);
  const after = recognizeLlmRequest(current);
  if (!before || !after || before.shape !== after.shape || before.provider !== after.provider) return undefined;
  if (before.requestModel === undefined || after.requestModel === undefined) return undefined;
  if (canonicalJson(before.shape.withoutTuning(before.view)) !== canonicalJson(after.shape.withoutTuning(after.view))) return undefined;
  return { recordedModel: before.requestModel, currentModel: after.requestModel };
}

export function isModelDriftAllowed(drift: ModelDrift, allowances: readonly ModelDriftAllowance[]): boolean {
  return allowances.some((allowed) => allowed.from === drift.recordedModel && allowed.to === drift.currentModel);
}

/** `recorded=current` items (from --allow-model-drift or TRACETAPE_ALLOW_MODEL_DRIFT); `source` names where they came from. */
export function parseModelDriftAllowances(items: readonly string[], source: string): ModelDriftAllowance[] {
  return items.map((item) => {
    const at = item.indexOf('=');
    const from = item.slice(0, at).trim();
    const to = item.slice(at + 1).trim();
    if (at < 0 || !from || !to || to.includes('=')) {
      throw new ConfigError(
        `${source}: "${item}" is not <recorded model>=<current model>, e.g. gpt-4o=gpt-4o-mini (for a change of sampling parameters only, name the model on both sides).`,
      );
    }
    return { from, to };
  });
}

/** The argument that allows a drift, as the user would type it. */
export function allowanceText(drift: ModelDrift): string {
  return `${drift.recordedModel}=${drift.currentModel}`;
}
