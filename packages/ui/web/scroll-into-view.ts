import { useEffect, useRef } from 'preact/hooks';

/** A ref whose element is scrolled to the middle of the view once, when it first appears. */
export function useScrollIntoViewOnce<T extends HTMLElement>(): (element: T | null) => void {
  const done = useRef(false);
  const element = useRef<T | null>(null);
  useEffect(() => {
    if (done.current || !element.current) return;
    done.current = true;
    element.current.scrollIntoView({ block: 'center' });
  });
  return (el: T | null) => {
    element.current = el;
  };
}
