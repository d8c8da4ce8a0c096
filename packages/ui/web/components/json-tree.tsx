import { useState } from 'preact/hooks';

// Past this many children a node shows a button instead: a 10,000-element array stays cheap to open.
const CHILDREN_SHOWN = 200;
const OPEN_DEPTH = 2;

export function JsonTree({ value }: { value: unknown }) {
  return (
    <div class="json">
      <JsonValue value={value} depth={0} />
    </div>
  );
}

function JsonValue({ value, depth }: { value: unknown; depth: number }) {
  if (value === null) return <span class="lit">null</span>;
  if (typeof value === 'string') return <span class="str">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span class="num">{String(value)}</span>;
  if (typeof value === 'boolean') return <span class="lit">{String(value)}</span>;
  if (Array.isArray(value)) return <Collection entries={value.map((item, i) => [String(i), item])} isArray depth={depth} />;
  if (typeof value === 'object') return <Collection entries={Object.entries(value as Record<string, unknown>)} isArray={false} depth={depth} />;
  return <span class="lit">{String(value)}</span>;
}

function Collection({ entries, isArray, depth }: { entries: Array<[string, unknown]>; isArray: boolean; depth: number }) {
  const [open, setOpen] = useState(depth < OPEN_DEPTH);
  const [showAll, setShowAll] = useState(false);
  const [opening, closing] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <span class="summary">{opening + closing}</span>;
  const count = `${entries.length} ${isArray ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'}`;
  const shown = showAll ? entries : entries.slice(0, CHILDREN_SHOWN);
  return (
    <>
      <button type="button" class="toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'}
      </button>
      {open ? (
        <>
          {opening}
          <ul>
            {shown.map(([key, item]) => (
              <li key={key}>
                {!isArray && <span class="key">{JSON.stringify(key)}</span>}
                {!isArray && ': '}
                <JsonValue value={item} depth={depth + 1} />
              </li>
            ))}
            {shown.length < entries.length && (
              <li>
                <button type="button" onClick={() => setShowAll(true)}>
                  show the other {entries.length - shown.length}
                </button>
              </li>
            )}
          </ul>
          {closing}
        </>
      ) : (
        <span class="summary" onClick={() => setOpen(true)}>
          {opening} {count} {closing}
        </span>
      )}
    </>
  );
}
