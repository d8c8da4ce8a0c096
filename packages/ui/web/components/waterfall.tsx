import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StepSummary } from '../../src/api.js';
import { formatDuration } from '../format.js';
import { memo } from '../memo.js';
import { scrollTopToReveal, visibleRange } from '../virtual-window.js';
import { KindBadge, SideEffectBadge } from './kind-badge.js';

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

interface Props {
  steps: StepSummary[];
  /** The run's length; a step may end after the root span did, so the longer of the two scales the bars. */
  durationMs: number;
  selectedIndex: number;
  /** Kept the same function from render to render, so the rows that did not change are not rendered again. */
  onSelect: (index: number) => void;
}

/** Only the rows in view exist in the DOM, so a run of 10,000 steps renders as fast as one of 30. */
export function Waterfall({ steps, durationMs, selectedIndex, onSelect }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(400);

  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight));
    observer.observe(element);
    setViewport(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const target = scrollTopToReveal(selectedIndex, element.scrollTop, element.clientHeight, ROW_HEIGHT);
    if (target !== undefined) {
      element.scrollTop = target;
      setScrollTop(element.scrollTop);
    }
  }, [selectedIndex, viewport]);

  const span = useMemo(() => {
    let longest = Math.max(durationMs, 1);
    for (const step of steps) longest = Math.max(longest, step.startOffsetMs + step.durationMs);
    return longest;
  }, [steps, durationMs]);
  const { first, last } = visibleRange(scrollTop, viewport, ROW_HEIGHT, steps.length, OVERSCAN);
  const rows = [];
  for (let i = first; i <= last; i++) {
    const step = steps[i]!;
    rows.push(<WaterfallRow key={step.step} step={step} index={i} span={span} selected={i === selectedIndex} onSelect={onSelect} />);
  }

  return (
    <div>
      <div class="waterfall-axis" aria-hidden="true">
        <span>#</span>
        <span>kind</span>
        <span>call</span>
        <span />
        <span class="axis">
          <span>0</span>
          <span>{formatDuration(span / 2)}</span>
          <span>{formatDuration(span)}</span>
        </span>
      </div>
      <div class="waterfall" data-testid="waterfall" ref={container} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div style={{ height: `${steps.length * ROW_HEIGHT}px`, position: 'relative' }}>{rows}</div>
      </div>
    </div>
  );
}

// A move of the selection renders only the row it leaves and the one it reaches.
const WaterfallRow = memo(function WaterfallRow({ step, index, span, selected, onSelect }: { step: StepSummary; index: number; span: number; selected: boolean; onSelect: (index: number) => void }) {
  const left = (Math.max(0, step.startOffsetMs) / span) * 100;
  const width = (Math.max(0, step.durationMs) / span) * 100;
  const failed = step.status === 0 || step.status >= 400 || step.error !== undefined;
  const title = `step ${step.step}: ${step.label}\n+${formatDuration(step.startOffsetMs)}, ${formatDuration(step.durationMs)}${step.error ? `\n${step.error}` : ''}`;
  return (
    <div
      class={`step-row${failed ? ' step-failed' : ''}`}
      style={{ top: `${index * ROW_HEIGHT}px`, height: `${ROW_HEIGHT}px` }}
      data-testid="step-row"
      data-step={step.step}
      data-kind={step.kind}
      data-side-effect={step.sideEffect ? 'true' : 'false'}
      data-selected={selected ? 'true' : undefined}
      aria-selected={selected}
      title={title}
      onClick={() => onSelect(index)}
    >
      <span class="step-num">{step.step}</span>
      <KindBadge kind={step.kind} />
      <span class="step-label">
        {failed && <span class="bad-marker">✗ </span>}
        {step.label}
      </span>
      <span class="step-marks">{step.sideEffect && <SideEffectBadge />}</span>
      <span class="track">
        <span class={`bar kind-${step.kind}${step.sideEffect ? ' side-effect' : ''}`} style={{ left: `${Math.min(left, 99.5)}%`, width: `${Math.min(width, 100 - left)}%` }} />
      </span>
    </div>
  );
});
