import { kindOf } from '../kinds.js';

export function KindBadge({ kind }: { kind: string }) {
  const { icon, label } = kindOf(kind);
  return (
    <span class={`kind kind-${kind}`}>
      {icon} {label}
    </span>
  );
}

export function SideEffectBadge() {
  return (
    <span class="badge badge-side" title="this call changes something: a replay answers it from the tape instead">
      ✎ side effect
    </span>
  );
}
