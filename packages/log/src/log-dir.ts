import fs from 'node:fs';
import path from 'node:path';
import { parseSegmentName, SEGMENT_SUFFIX, type SegmentName } from './segment-name.js';

/** Where the recording log lives: beside the embedded engine's files, in the store directory. */
export const LOG_SUBDIR = 'tracetape-log';

export function logDirOf(storeDir: string): string {
  return path.join(path.resolve(storeDir), LOG_SUBDIR);
}

export interface SegmentFile extends SegmentName {
  path: string;
  size: number;
}

/** The directory's segments, oldest writer first, each writer's in sequence. */
export function listSegments(dir: string): SegmentFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const segments: SegmentFile[] = [];
  for (const file of names.filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort()) {
    const name = parseSegmentName(file);
    if (!name) continue;
    try {
      segments.push({ ...name, path: path.join(dir, file), size: fs.statSync(path.join(dir, file)).size });
    } catch {
      // Removed by an ingester meanwhile.
    }
  }
  return segments;
}

/** True when the directory holds any segment at all (a quick look for readers). */
export function hasSegments(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((n) => n.endsWith(SEGMENT_SUFFIX));
  } catch {
    return false;
  }
}
