// Replay fixtures inside a test runner: replayTape(), replayTapeCommand().
export * from '@tracetape/replay/testing';
