// JSON bodies of a given size, shaped like an LLM/tool exchange (a few fields and one long text),
// so canonicalisation and hashing see realistic nesting rather than one flat string.

const FILLER = 'The quick brown fox jumps over the lazy dog. ';

/** A JSON text of about `bytes` bytes (within a few bytes) that includes `fields`. */
export function jsonOfSize(bytes, fields = {}) {
  const base = { ...fields, messages: [{ role: 'system', content: 'You are a benchmark.' }, { role: 'user', content: '' }] };
  const room = bytes - JSON.stringify(base).length;
  base.messages[1].content = FILLER.repeat(Math.ceil(Math.max(0, room) / FILLER.length)).slice(0, Math.max(0, room));
  return JSON.stringify(base);
}
