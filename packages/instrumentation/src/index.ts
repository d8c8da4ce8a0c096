export { CaptureSession } from './sessions/capture-session.js';
export { ChannelTraffic, channelCaptureAvailable } from './http/channel-traffic.js';
export { InterceptorTraffic } from './http/interceptor-traffic.js';
export type { OutboundCallListener, OutboundRequest, OutboundResponseHead, OutboundTraffic, ResponseBodySink } from './http/outbound-traffic.js';
export { CaptureSpanProcessor, type CaptureSpanProcessorOptions } from './capture/capture-span-processor.js';
export { PlaybackSession } from './sessions/playback-session.js';
export { preloadNodeFetch } from './http/dispatcher-playback.js';
export { InboundCapture, type HttpServerHooks } from './inbound/inbound-capture.js';
export { InboundReplay, type InboundReplayOptions } from './inbound/inbound-replay.js';
export { InboundReplayError } from './inbound/inbound-errors.js';
export { PlaybackAlreadyActiveError } from './playback/playback-lock.js';
export { PlaybackConnectionBlockedError } from './playback/playback-connection-error.js';
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
  startSpansAsLibrary,
  type SourceHandler,
} from './nondeterminism/index.js';
export * from './process-propagation/index.js';
