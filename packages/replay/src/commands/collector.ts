import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import { ChdbSpanStore, openStore } from '@tracetape/clickhouse';
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_PORT, TRACES_PATH, startCollector } from '@tracetape/collector';
import { ConfigError, StoreUnavailableError } from '@tracetape/core';
import type { Command } from './command.js';
import { holdStore, storeAccessFromEnv, tellIngestReport } from './store-access.js';
import { LogIngester } from '@tracetape/collector';

const TOKEN_ENV = 'TRACETAPE_COLLECTOR_TOKEN';
const LOG_INGEST_INTERVAL_MS = 500;
const MAX_BODY_ENV = 'TRACETAPE_COLLECTOR_MAX_BODY_BYTES';
const MAX_INFLIGHT_ENV = 'TRACETAPE_COLLECTOR_MAX_INFLIGHT_BYTES';

function wholeNumber(value: string, what: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new ConfigError(`${what} must be a whole number of at least ${min}, not "${value}".`);
  return parsed;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIPv4(host) && host.startsWith('127.')) || (isIPv6(host) && host === '::1');
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

export const collectorCommand: Command = {
  name: 'collector',
  summary: `OTLP/HTTP trace receiver on :${DEFAULT_PORT} writing to the store`,
  usage: `tracetape collector [--host H] [--port P] [--token T] [--max-body-bytes N] [--max-inflight-bytes N]

Receives OpenTelemetry traces over OTLP/HTTP (POST ${TRACES_PATH}, protobuf or JSON, optionally
gzip) and writes them to the store (TRACETAPE_DIR, default .tracetape/, or
TRACETAPE_CLICKHOUSE_URL), moving large payloads to the payload table as the register hook does.
Apps record into it with OTEL_EXPORTER_OTLP_ENDPOINT=<the printed URL>; several processes can
share one embedded store this way. It also moves the recording log (TRACETAPE_LOG_DIR) into the
store every 500 ms, since it holds the embedded store while it runs: reading commands against the
same embedded store wait for it to stop (Ctrl-C, SIGTERM).

Options:
  --host H             address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 exposes it to the network)
  --port P             port (default ${DEFAULT_PORT}; 0 picks a free one, printed on start)
  --token T            require "Authorization: Bearer T" (default: ${TOKEN_ENV}, else none)
  --max-body-bytes N   largest request body, sent or inflated (default: ${MAX_BODY_ENV}, else ${DEFAULT_MAX_BODY_BYTES})
  --max-inflight-bytes N
                       body bytes all requests in progress may hold together; past it requests get
                       429 with Retry-After, which senders retry (default: ${MAX_INFLIGHT_ENV},
                       else ${DEFAULT_MAX_INFLIGHT_BYTES})`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        host: { type: 'string', default: DEFAULT_HOST },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        token: { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'max-inflight-bytes': { type: 'string' },
      },
      strict: true,
    });
    const port = wholeNumber(values.port!, '--port', 0);
    if (port > 65535) throw new ConfigError(`--port must be at most 65535, not ${port}.`);
    const maxBody = values['max-body-bytes'] ?? process.env[MAX_BODY_ENV];
    const maxBodyBytes = maxBody ? wholeNumber(maxBody, '--max-body-bytes', 1) : DEFAULT_MAX_BODY_BYTES;
    const maxInflight = values['max-inflight-bytes'] ?? process.env[MAX_INFLIGHT_ENV];
    const maxInflightBytes = maxInflight ? wholeNumber(maxInflight, '--max-inflight-bytes', 1) : DEFAULT_MAX_INFLIGHT_BYTES;
    const token = values.token ?? (process.env[TOKEN_ENV] || undefined);
    const host = values.host!;

    const access = storeAccessFromEnv();
    const release = await holdStore(access);
    const store = openStore(access.options);
    try {
      await store.init();
    } catch (error) {
      // The embedded store failing now (most often: another process holds it) will not heal by
      // itself. A server may come up later: senders get 503 and retry until it does.
      if (store instanceof ChdbSpanStore || !(error instanceof StoreUnavailableError)) {
        await store.close();
        release();
        throw error;
      }
      process.stderr.write(`tracetape collector: ${error.message} Requests get 503 (senders retry) until it is reachable.\n`);
    }

    const collector = await startCollector({
      store,
      host,
      port,
      maxBodyBytes,
      maxInflightBytes,
      ...(token ? { token } : {}),
      onProblem: (status, message) => process.stderr.write(`tracetape collector: ${status === 200 ? 'partial success' : status}: ${message}\n`),
    }).catch(async (error: unknown) => {
      await store.close();
      release();
      const code = error instanceof Error && 'code' in error ? String(error.code) : '';
      if (code === 'EADDRINUSE') throw new ConfigError(`${host}:${port} is already in use: stop what listens there, or pick another --port.`);
      throw error;
    });

    if (!token && !isLoopback(host)) {
      process.stderr.write(`tracetape collector: listening on ${host} without --token: anyone who can reach it can write traces.\n`);
    }
    process.stdout.write(`tracetape collector: listening on ${collector.url}${TRACES_PATH}, storing into ${store.location}\n`);
    process.stdout.write(`tracetape collector: record into it with OTEL_EXPORTER_OTLP_ENDPOINT=${collector.url}\n`);

    // Apps recording beside it append to the log; the collector holds the store, so it moves the log in.
    const ingester = new LogIngester({ store, logDir: access.logDir });
    let ingesting: Promise<unknown> = Promise.resolve();
    const ingestTimer = setInterval(() => {
      ingesting = ingesting.then(() => ingester.ingest().then((report) => tellIngestReport(report, access.logDir))).catch((error: unknown) => {
        process.stderr.write(`tracetape collector: could not ingest the recording log: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    }, LOG_INGEST_INTERVAL_MS);

    const signal = await waitForStopSignal();
    process.stderr.write(`tracetape collector: ${signal}: finishing requests in progress, then closing the store\n`);
    clearInterval(ingestTimer);
    await collector.close();
    await ingesting;
    await store.close();
    release();
    const stats = collector.stats();
    process.stderr.write(
      `tracetape collector: stored ${stats.storedSpans} span(s) from ${stats.requests} request(s); ` +
        `${stats.rejectedSpans} span(s) rejected, ${stats.failedRequests} request(s) refused, ${stats.repeatedRequests} repeated request(s) not stored again\n`,
    );
    return 0;
  },
};
