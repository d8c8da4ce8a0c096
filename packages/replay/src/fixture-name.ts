import path from 'node:path';
import type { Tape } from '@tracetape/core';

/**
 * `<run name>-<first 8 of the trace ID>.tape.json`: readable in a fixtures directory, and stable,
 * so freezing the same trace again replaces its file instead of adding a second one.
 */
export function fixtureFileName(tape: Pick<Tape, 'rootName' | 'traceId'>, name?: string): string {
  return `${slug(name ?? tape.rootName)}-${tape.traceId.slice(0, 8)}.tape.json`;
}

export function fixturePath(dir: string, tape: Pick<Tape, 'rootName' | 'traceId'>, name?: string): string {
  return path.join(dir, fixtureFileName(tape, name));
}

function slug(text: string): string {
  const base = text
    .replace(/\.[cm]?[jt]s$/i, '') // a script's run is named after its file
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return base || 'run';
}
