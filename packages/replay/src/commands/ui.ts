import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from '@tracetape/core';
import { DEFAULT_UI_PORT, isLoopbackHost, startUiServer, StoreRunSource, TapeRunSource, type RunSource } from '@tracetape/ui';
import { findClaimsFile } from '../claims-file.js';
import { buildTape } from '../tape-builder.js';
import { readTapeFile } from '../tape-file.js';
import type { Command } from './command.js';
import { LentStore } from './lent-store.js';
import { storeAccessFromEnv } from './store-access.js';

export const uiCommand: Command = {
  name: 'ui',
  summary: 'open a local web viewer of the recorded runs, their steps and replays',
  usage: `tracetape ui [--port N] [--host H] [--token T] [--tape <file>] [--claims <file>]

Serves a web page over the store (TRACETAPE_DIR or TRACETAPE_CLICKHOUSE_URL), or over one tape
file, and prints its URL: the runs, each as a waterfall of its steps to scrub through with the
arrow keys, every step's request and response (LLM calls as a chat), stored replays against their
recording, and two runs compared step by step. Nothing is loaded from the network. Stop it with Ctrl-C.

Options:
  --port N        port to listen on (default ${DEFAULT_UI_PORT}; 0 picks a free one)
  --host H        address to listen on (default 127.0.0.1). Any address beyond loopback needs a
                  token, which is made for you when not given, and is printed in the URL
  --token T       require this token (also TRACETAPE_UI_TOKEN)
  --tape <file>   show this tape file instead of the store
  --claims <file> check each run's final answer against this phrases-to-calls mapping and show a
                  claim no call backs (default TRACETAPE_CLAIMS, or ./tracetape.claims.json)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        token: { type: 'string' },
        tape: { type: 'string' },
        claims: { type: 'string' },
      },
      strict: true,
    });
    const port = values.port === undefined ? DEFAULT_UI_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a port number from 0 to 65535, not "${values.port}".`);
    const loopback = isLoopbackHost(values.host);
    let token = values.token ?? process.env.TRACETAPE_UI_TOKEN;
    if (!loopback && !token) token = randomBytes(18).toString('base64url');

    const store = values.tape === undefined ? new LentStore(storeAccessFromEnv()) : undefined;
    const source: RunSource = store ? new StoreRunSource(store, buildTape) : tapeSource(values.tape!);
    const claims = findClaimsFile(values.claims);
    const server = await startUiServer({ source, host: values.host, port, ...(token ? { token } : {}), ...(claims ? { claims } : {}) });
    process.stdout.write(`tracetape ui: ${source.description} at ${server.url}\n`);
    if (!loopback) {
      process.stderr.write(
        `tracetape ui: warning: listening on ${values.host}, reachable beyond this machine. Anyone with the URL above (it holds the token) can read every recorded payload; the connection is not encrypted.\n`,
      );
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    await store?.close();
    return 0;
  },
};


function tapeSource(file: string): TapeRunSource {
  return new TapeRunSource(readTapeFile(file), file);
}
