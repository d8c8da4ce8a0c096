import { IngestState, listSegments } from '@tracetape/log';

/** Whether any segment holds bytes past its shipped offset, or an insert was left half done. */
export function hasUnshippedRecords(dir: string): boolean {
  const segments = listSegments(dir);
  if (segments.length === 0) return false;
  let state: IngestState;
  try {
    state = new IngestState(dir);
  } catch {
    // A damaged state: the pass itself says so, better than staying silent here.
    return true;
  }
  return state.pending !== undefined || segments.some((segment) => segment.size > state.offset(segment.file));
}
