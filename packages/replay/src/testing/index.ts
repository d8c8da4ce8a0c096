// Test helpers for replay fixtures: `import { replayTape } from '@tracetape/replay/testing'`.
export { replayTape, type ReplayTapeOptions, type ReplayTapeResult } from './replay-tape.js';
export { replayTapeCommand, type ReplayTapeCommandOptions, type ReplayTapeCommandResult } from './replay-tape-command.js';
export { ReplayFailedError, type CommandOutcome } from './replay-failed-error.js';
export { RecordingEndedError } from './recording-ended-error.js';
export { PlaybackAlreadyActiveError } from '@tracetape/instrumentation';
export type { TapeSource } from './tape-source.js';
export { loadContract, type ContractJudgement, type ContractSource } from './contract-source.js';
