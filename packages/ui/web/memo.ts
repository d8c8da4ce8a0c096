import { Component, type ComponentChildren, type ComponentType, h } from 'preact';

function shallowDiffers(a: object, b: object): boolean {
  for (const key in a) if ((a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]) return true;
  for (const key in b) if (!(key in a)) return true;
  return false;
}

/**
 * A component that re-renders only when one of its props changes (compared with ===), as
 * preact/compat's memo does, without pulling compat (and its global option hooks) into the page.
 */
export function memo<P extends object>(render: (props: P) => ComponentChildren): ComponentType<P> {
  const inner = render as ComponentType<P>;
  class Memo extends Component<P> {
    static override displayName = `Memo(${render.name})`;
    override shouldComponentUpdate(next: Readonly<P>): boolean {
      return shallowDiffers(this.props, next);
    }
    override render(): ComponentChildren {
      return h(inner, this.props as P);
    }
  }
  return Memo as unknown as ComponentType<P>;
}
