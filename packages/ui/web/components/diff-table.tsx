import type { FieldDiff } from '../../src/api.js';

export function DiffTable({ diff }: { diff: FieldDiff[] }) {
  if (diff.length === 0) return <p class="muted">No field differs from the closest recorded request.</p>;
  return (
    <table class="diff-table" data-testid="diff-table">
      <thead>
        <tr>
          <th>path</th>
          <th>recorded</th>
          <th>current</th>
        </tr>
      </thead>
      <tbody>
        {diff.map((field) => (
          <tr key={field.path} data-testid="diff-row" data-path={field.path}>
            <td>{field.path}</td>
            <Value value={field.recorded} side="recorded" />
            <Value value={field.current} side="current" />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Value({ value, side }: { value: string | undefined; side: 'recorded' | 'current' }) {
  // Absent and empty are different answers; say which.
  return value === undefined ? <td class={`${side} absent`}>(absent)</td> : <td class={side}>{value}</td>;
}
