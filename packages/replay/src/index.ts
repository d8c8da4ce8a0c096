export { buildTape, TAPE_COLUMNS, tapeFromRows } from './tape-builder.js';
export { renderTimeline } from './timeline.js';
export { renderReport } from './report.js';
