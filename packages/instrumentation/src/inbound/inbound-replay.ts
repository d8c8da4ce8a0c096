import http from 'node:http';
import { decodeBody, type InboundExchange, type InboundOutcome } from '@tracetape/core';
import { compareInboundResponse, type ReplayedResponse } from './inbound-compare.js';
import { couldNotListen, endedBeforeAnswer, InboundReplayError, type ListenError, neverListened, noAnswerWithin, truncatedRequest } from './inbound-errors.js';
import { openInboundBridge } from './inbound-bridge.js';
import { onFirstHttpServerListening } from './inbound-listen.js';
import { InboundMarker } from './inbound-marker.js';

export interface InboundReplayOptions {
  exchange: InboundExchange;
  /** How long the server may take to answer the replayed request (default 60 s). */
  responseTimeoutMs?: number;
  /**
   * After the exchange the app's server is closed; if the process is still running this much
   * later (timers, pools, work after the response), it is ended (default 1 s).
   */
  graceMs?: number;
  /** Ends the process when the grace period is over (default: process.exit with the app's exit code, else 0). */
  endProcess?: () => void;
}

/** Headers that describe one connection or one body framing: Node sets them for the request it sends. */
const NOT_RESENT = new Set(['content-length', 'transfer-encoding', 'expect', 'upgrade', 'te', 'trailer', 'proxy-connection']);

/**
 * Playback of a server trace: once the app's first HTTP server listens, the recorded inbound
 * request is sent to it over a loopback connection handed to that server alone (see
 * inbound-bridge.ts; its outbound calls are answered from the tape as usual),
 * the response is compared with the recorded one, and the process is ended, since a server would
 * otherwise run forever. The outcome goes into the replay report; the CLI decides the verdict.
 */
export class InboundReplay {
  private readonly marker = new InboundMarker();
  private readonly unpatch: () => void;
  private listened = false;
  private listenError: ListenError | undefined;
  private result: InboundOutcome | undefined;

  constructor(private readonly options: InboundReplayOptions) {
    this.unpatch = onFirstHttpServerListening(
      (server) => {
        this.listened = true;
        // Let the app's own 'listening' callbacks (printing the port, say) run first.
        setImmediate(() => void this.replay(server));
      },
      (error) => (this.listenError = error),
    );
  }

  /** The outcome so far: final once the server answered, else why there is none. */
  outcome(): InboundOutcome {
    if (this.result) return this.result;
    // The recorded server had not answered when its process ended: nor has this one, as recorded.
    if (this.listened && this.options.exchange.response.unanswered) return { ...this.base(), replayedStatus: 0, match: true, diff: [] };
    if (this.listened) return this.failed(endedBeforeAnswer());
    return this.failed(this.listenError ? couldNotListen(this.listenError) : neverListened());
  }

  dispose(): void {
    this.unpatch();
    this.marker.dispose();
  }

  private async replay(server: http.Server): Promise<void> {
    const recorded = this.options.exchange.response;
    try {
      const replayed = await this.send(server);
      const { match, diff } = compareInboundResponse(recorded, replayed);
      this.result = { ...this.base(), replayedStatus: replayed.status, match, diff };
    } catch (error) {
      this.result = this.failed(
        error instanceof InboundReplayError
          ? error
          : new InboundReplayError('TRACETAPE_INBOUND_FAILED', `sending the recorded request failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }),
      );
    }
    this.endProcess(server);
  }

  private async send(server: http.Server): Promise<ReplayedResponse> {
    const { request } = this.options.exchange;
    if (request.truncated) throw truncatedRequest();
    const bridge = await openInboundBridge(server);
    try {
      return await this.exchange(bridge.port);
    } finally {
      bridge.close();
    }
  }

  private exchange(port: number): Promise<ReplayedResponse> {
    const { request } = this.options.exchange;
    const body = request.body ? decodeBody(request.body) : undefined;
    const timeoutMs = this.options.responseTimeoutMs ?? 60_000;

    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        { host: '127.0.0.1', port, method: request.normalized.method, path: request.target, headers: this.headers(), agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, headers: pairs(response.rawHeaders), body: Buffer.concat(chunks) });
            // A kept-alive connection would hold the server open after close().
            outgoing.destroy();
          });
        },
      );
      const timer = setTimeout(() => outgoing.destroy(noAnswerWithin(timeoutMs)), timeoutMs);
      timer.unref();
      outgoing.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      outgoing.end(body);
    });
  }

  /** The recorded headers as received (redacted values stay redacted), plus the marker. */
  private headers(): http.OutgoingHttpHeaders {
    const headers: Record<string, string | string[]> = {};
    const names = new Map<string, string>();
    for (const [name, value] of this.options.exchange.request.headers) {
      const lower = name.toLowerCase();
      if (NOT_RESENT.has(lower) || lower === this.marker.header) continue;
      const key = names.get(lower) ?? name;
      names.set(lower, key);
      const existing = headers[key];
      headers[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    headers[this.marker.header] = this.marker.token;
    return headers;
  }

  private endProcess(server: http.Server): void {
    this.dispose();
    server.close();
    // Nothing else keeps the process alive: it ends by itself. Otherwise end it after the grace period.
    const timer = setTimeout(this.options.endProcess ?? (() => process.exit()), this.options.graceMs ?? 1000);
    timer.unref();
  }

  private base(): Omit<InboundOutcome, 'replayedStatus' | 'match' | 'diff'> {
    const { request, response } = this.options.exchange;
    return { method: request.normalized.method, url: request.normalized.url, recordedStatus: response.status };
  }

  private failed(error: InboundReplayError): InboundOutcome {
    return { ...this.base(), replayedStatus: 0, match: false, diff: [], error: error.message };
  }
}

function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
