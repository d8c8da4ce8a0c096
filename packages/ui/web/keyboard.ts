import { useEffect, useRef } from 'preact/hooks';

export type StepKeyAction = 'previous' | 'next' | 'first' | 'last' | 'rewind';

export function stepKeyAction(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): StepKeyAction | undefined {
  // Ctrl/Cmd/Alt combinations belong to the browser (Alt+ArrowLeft is Back).
  if (event.ctrlKey || event.metaKey || event.altKey) return undefined;
  switch (event.key) {
    case 'ArrowLeft':
      return 'previous';
    case 'ArrowRight':
      return 'next';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'r':
    case 'R':
      return 'rewind';
    default:
      return undefined;
  }
}

/** Index of the step an action selects, clamped to the run. */
export function moveIndex(action: Exclude<StepKeyAction, 'rewind'>, index: number, count: number): number {
  if (count <= 0) return 0;
  const next = action === 'previous' ? index - 1 : action === 'next' ? index + 1 : action === 'first' ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, next));
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  // The scrubber is a range input: its keys are ours (handled once, here, not also natively).
  return target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox' && target.type !== 'button';
}

/** Step keys anywhere on the page, except while the person types into a field. */
export function useStepKeys(onAction: (action: StepKeyAction) => void): void {
  const handler = useRef(onAction);
  handler.current = onAction;
  useEffect(() => {
    const listener = (event: KeyboardEvent): void => {
      if (isTyping(event.target)) return;
      const action = stepKeyAction(event);
      if (!action) return;
      event.preventDefault();
      handler.current(action);
    };
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);
}
