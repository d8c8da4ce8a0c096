import { PendingCapture } from './pending-capture.js';

/**
 * Pending captures by interceptor request ID (to attach the response) and by span ID (for the
 * span processor). An entry leaves the span index when its span ends.
 */
export class CaptureRegistry {
  private readonly byRequest = new Map<string, PendingCapture>();
  private readonly bySpan = new Map<string, PendingCapture>();

  begin(requestId: string, spanId: string): PendingCapture {
    const capture = new PendingCapture(spanId);
    this.byRequest.set(requestId, capture);
    this.bySpan.set(spanId, capture);
    return capture;
  }

  forRequest(requestId: string): PendingCapture | undefined {
    const capture = this.byRequest.get(requestId);
    this.byRequest.delete(requestId);
    return capture;
  }

  takeForSpan(spanId: string): PendingCapture | undefined {
    const capture = this.bySpan.get(spanId);
    this.bySpan.delete(spanId);
    return capture;
  }
}
