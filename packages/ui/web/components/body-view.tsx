import type { ShownBody } from '../../src/api.js';
import { formatBytes } from '../format.js';
import { JsonTree } from './json-tree.js';

export function BodyView({ body, testid }: { body: ShownBody | undefined; testid?: string }) {
  if (!body) return <p class="muted" data-testid={testid}>(no body)</p>;
  return (
    <div class="body" data-testid={testid} data-body-kind={body.kind}>
      {body.kind === 'json' && <JsonTree value={body.value} />}
      {body.kind === 'text' && <pre>{body.text}</pre>}
      {body.kind === 'binary' && <p class="muted">{body.note}</p>}
      <div class="muted">{formatBytes(body.size)}</div>
    </div>
  );
}

export function HeadersTable({ headers }: { headers: Array<[string, string]> }) {
  if (headers.length === 0) return <p class="muted">(no headers)</p>;
  return (
    <table class="kv">
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={i}>
            <td>{name}</td>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
