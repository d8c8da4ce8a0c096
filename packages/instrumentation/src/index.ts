export { CaptureSession } from './capture-session.js';
export { CaptureSpanProcessor, type CaptureSpanProcessorOptions } from './capture-span-processor.js';
export { PlaybackSession } from './playback-session.js';
export { RunContextManager } from './run-context-manager.js';
export { run } from './run.js';
export { TRACER_NAME } from './tracer-name.js';
export type { CaptureOptions, HashingOptions, PlaybackOptions, TracetapeMode } from './types.js';
