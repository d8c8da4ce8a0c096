import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { RunDetail } from '../../src/api.js';
import { api } from '../api-client.js';
import { ErrorBox } from '../components/error-box.js';
import { FindingsPanel } from '../components/findings-panel.js';
import { RunHeader } from '../components/run-header.js';
import { StepDetailPanel } from '../components/step-detail.js';
import { Waterfall } from '../components/waterfall.js';
import { moveIndex, useStepKeys } from '../keyboard.js';
import { memo } from '../memo.js';
import { rewindTarget } from '../rewind.js';
import { replaceUrl, runPath } from '../router.js';
import { useApi } from '../use-api.js';

// The address follows the selected step once it rests: rewriting it on every press of a held key
// cost more than the rest of the move.
const URL_SETTLE_MS = 150;

// The header does not change while the selection moves.
const Header = memo(RunHeader);
const Findings = memo(FindingsPanel);

export function RunPage({ traceId, step }: { traceId: string; step?: number }) {
  const { data, error, loading } = useApi<RunDetail>(api.run(traceId));
  if (error) return <ErrorBox error={error} title={`Run ${traceId}`} />;
  if (!data) return <p class="muted">{loading ? 'Loading the run…' : ''}</p>;
  return <RunView traceId={traceId} detail={data} initialStep={step} />;
}

function RunView({ traceId, detail, initialStep }: { traceId: string; detail: RunDetail; initialStep: number | undefined }) {
  const { steps } = detail;
  const [index, setIndex] = useState(() => {
    const found = initialStep === undefined ? -1 : steps.findIndex((s) => s.step === initialStep);
    return found >= 0 ? found : 0;
  });
  const urlTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // Leaving the run (or its page) drops an address not yet written: it would overwrite the next page's.
  useEffect(() => () => clearTimeout(urlTimer.current), []);
  // A link to another step of the run now shown (or Back to one) arrives as a new initialStep.
  useEffect(() => {
    clearTimeout(urlTimer.current);
    const found = initialStep === undefined ? -1 : steps.findIndex((s) => s.step === initialStep);
    if (found >= 0) setIndex(found);
  }, [initialStep, steps]);
  const missing = initialStep !== undefined && !steps.some((s) => s.step === initialStep);

  // The same function on every render, so the memoised waterfall rows can skip it.
  const latest = useRef({ traceId, steps });
  latest.current = { traceId, steps };
  const select = useCallback((next: number): void => {
    const { traceId, steps } = latest.current;
    const clamped = Math.min(steps.length - 1, Math.max(0, next));
    setIndex(clamped);
    clearTimeout(urlTimer.current);
    urlTimer.current = setTimeout(() => replaceUrl(runPath(traceId, steps[clamped]!.step)), URL_SETTLE_MS);
  }, []);

  useStepKeys((action) => {
    if (steps.length === 0) return;
    if (action === 'rewind') {
      const target = rewindTarget(steps, steps[index]!.step);
      if (target !== undefined) select(steps.findIndex((s) => s.step === target));
      return;
    }
    select(moveIndex(action, index, steps.length));
  });

  const selected = steps[index];
  return (
    <section class="page run-page">
      <Header detail={detail} />
      <Findings traceId={traceId} findings={detail.findings} />
      {missing && <ErrorBox title="No such step" error={`This run has no step ${initialStep}; it has steps 1 to ${steps.length}.`} />}
      {steps.length === 0 ? (
        <p class="muted">This run made no recorded boundary calls.</p>
      ) : (
        <>
          <Waterfall steps={steps} durationMs={detail.run.durationMs} selectedIndex={index} onSelect={select} />
          <div class="scrub">
            <label for="scrubber">
              Step {selected?.step} of {steps.length}
            </label>
            <input
              id="scrubber"
              data-testid="scrubber"
              type="range"
              min={1}
              max={steps.length}
              step={1}
              value={index + 1}
              onInput={(e) => select(Number(e.currentTarget.value) - 1)}
            />
          </div>
          <p class="key-hints">
            <kbd>←</kbd> <kbd>→</kbd> previous / next step · <kbd>Home</kbd> <kbd>End</kbd> first / last · <kbd>r</kbd> rewind to just before the side effect
          </p>
          {selected && <StepDetailPanel traceId={traceId} step={selected.step} command={detail.run.command} />}
        </>
      )}
    </section>
  );
}
