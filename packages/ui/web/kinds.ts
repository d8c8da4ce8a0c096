import type { StepKind } from '../src/api.js';

/** A glyph and a word per kind: the colour is never the only cue. */
export const KINDS: Record<StepKind, { icon: string; label: string }> = {
  llm: { icon: '✦', label: 'LLM' },
  http: { icon: '⇄', label: 'HTTP' },
  postgres: { icon: '▤', label: 'Postgres' },
  mysql: { icon: '▤', label: 'MySQL' },
  redis: { icon: '◆', label: 'Redis' },
  process: { icon: '▸', label: 'Process' },
  mcp: { icon: '⚙', label: 'MCP' },
  dns: { icon: '⌕', label: 'DNS' },
  websocket: { icon: '⇌', label: 'WebSocket' },
  grpc: { icon: '⇉', label: 'gRPC' },
};

export const kindOf = (kind: string): { icon: string; label: string } => KINDS[kind as StepKind] ?? { icon: '•', label: kind };
