export { NondeterminismPlayer } from './player.js';
export { NondeterminismRecorder } from './recorder.js';
export { NondeterminismSpanProcessor } from './nondeterminism-span-processor.js';
export { ReplayTarget } from './replay-target.js';
export { installSources, type SourceHandler } from './sources.js';
export { RealRandomIdGenerator } from './real-random-id-generator.js';
export { startSpansAsLibrary } from './span-start-reads.js';
