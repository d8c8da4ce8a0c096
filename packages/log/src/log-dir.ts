import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSegmentName, SEGMENT_SUFFIX, type SegmentName } from './segment-name.js';

/** Where the recording log lives: beside the embedded engine's files, in the store directory. */
export const LOG_SUBDIR = 'tracetape-log';

/** Where the log goes past this machine, when it does: each destination has a log of its own. */
export type LogDestination = { server: string; database?: string | undefined } | { otlp: string };

/**
 * The embedded store's log, or one per server or collector: a process shipping to a server must
 * not take records meant for the embedded store beside it, nor the other way round.
 */
export function logDirOf(storeDir: string, destination?: LogDestination): string {
  const base = path.join(path.resolve(storeDir), LOG_SUBDIR);
  if (!destination) return base;
  const [kind, address] = 'server' in destination ? ['server', `${destination.server}#${destination.database ?? ''}`] : ['otlp', destination.otlp];
  return `${base}-${kind}-${createHash('sha256').update(address).digest('hex').slice(0, 12)}`;
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

/**
 * A small file of room kept in the log directory for the ingester: when writers fill the disk,
 * removing it lets the ingester still write its lock and state, move the log into the store and
 * so free the disk, where it would otherwise fail on its first byte.
 */
export const SPACE_RESERVE_FILE = 'space-reserve';
const SPACE_RESERVE_BYTES = 256 * 1024;

/** Makes the reserve if it is missing; never throws (a disk too full for it has no room to keep). */
export function ensureSpaceReserve(dir: string): void {
  const file = path.join(dir, SPACE_RESERVE_FILE);
  if (fs.existsSync(file)) return;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, Buffer.alloc(SPACE_RESERVE_BYTES));
    fs.renameSync(temp, file);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}

/** Runs `write`; on a full disk, gives up the reserve and runs it once more. */
export function withSpaceReserve<T>(dir: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'ENOSPC' && code !== 'EDQUOT') || !fs.existsSync(path.join(dir, SPACE_RESERVE_FILE))) throw error;
    fs.rmSync(path.join(dir, SPACE_RESERVE_FILE), { force: true });
    return write();
  }
}
