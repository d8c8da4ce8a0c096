export { CaptureSession } from './capture-session.js';
export { ChannelTraffic, channelCaptureAvailable } from './channel-traffic.js';
export type { OutboundRequestEvent, OutboundResponseEvent, OutboundTraffic } from './outbound-traffic.js';
export { CaptureSpanProcessor, type CaptureSpanProcessorOptions } from './capture-span-processor.js';
export { PlaybackSession } from './playback-session.js';
export { InboundCapture, type HttpServerHooks } from './inbound-capture.js';
export { InboundReplay, type InboundReplayOptions } from './inbound-replay.js';
export { InboundReplayError } from './inbound-errors.js';
export { PlaybackAlreadyActiveError } from './playback-lock.js';
export { PlaybackConnectionBlockedError } from './playback-connection-error.js';
export { RunContextManager } from './run-context-manager.js';
export { run } from './run.js';
export { spanWithAttributes } from './span-with-attributes.js';
export { TRACER_NAME } from './tracer-name.js';
export type { CaptureOptions, CaptureSource, HashingOptions, PlaybackOptions, TracetapeMode } from './types.js';
export {
  installSources,
  NondeterminismPlayer,
  NondeterminismRecorder,
  NondeterminismSpanProcessor,
  RealRandomIdGenerator,
  ReplayTarget,
  type SourceHandler,
} from './nondeterminism/index.js';
export * from './process-propagation/index.js';
