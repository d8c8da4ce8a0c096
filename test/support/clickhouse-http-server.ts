/**
 * A stand-in ClickHouse server for tests: the subset of the HTTP interface @clickhouse/client
 * speaks (query in the `query` parameter and/or the body, multipart parameters, `param_*` bound
 * values, `database`, `default_format`, `/ping`, ClickHouse-style errors and headers), executed
 * by chDB over one directory. Lets ServerSpanStore run against the real engine without a server.
 *
 * Runs in a child process by default: ServerSpanStore.insertSync blocks its own process in
 * spawnSync until the insert is done, so a server sharing that event loop could never answer.
 * The child also keeps libchdb (one directory per process) out of the test process.
 *
 * This file is also the child's entry point (`node clickhouse-http-server.ts <dir>`), so it uses
 * only syntax Node can strip the types from.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Session } from 'chdb';

export interface ClickHouseHttpHarness {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** `child-process` (default) serves from a separate process; `in-process` from this one. */
  mode?: 'child-process' | 'in-process';
  /** Listen on this port (default: any free one); restarting on the same port simulates an outage. */
  port?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  JSON: 'application/json; charset=UTF-8',
  JSONEachRow: 'application/x-ndjson; charset=UTF-8',
  JSONCompactEachRow: 'application/x-ndjson; charset=UTF-8',
  CSV: 'text/csv; charset=UTF-8; header=absent',
};

interface HarnessRequest {
  sql: string;
  params: Map<string, string>;
  database: string | undefined;
  format: string;
  queryId: string;
}

class HarnessError extends Error {
  readonly status: number;
  readonly chCode: number;
  constructor(status: number, chCode: number, message: string) {
    super(message);
    this.status = status;
    this.chCode = chCode;
  }
}

// ClickHouse's escaped (TSV) rules, which the server applies to a scalar `param_*` value.
function unescapeTsv(value: string): string {
  const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };
  return value.replace(/\\(.)/gs, (_, c: string) => map[c] ?? c);
}

function quoteSqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const COMPOSITE_TYPE = /^(Nullable\(|LowCardinality\()*(Array|Map|Tuple|Nested)\(/;

/**
 * chDB re-escapes string parameters itself, so each raw HTTP value has to be handed over as the
 * string it stands for. For a scalar that is the TSV-unescaped value. A composite value
 * (`['a\'b']`) is parsed by its type's own text rules, which the unescape would break, so it goes
 * in as a String and is CAST to its type in the SQL instead, which applies exactly those rules.
 */
function bindParameters(sql: string, raw: Map<string, string>): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const rewritten = sql.replace(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g, (whole, name: string, type: string) => {
    const value = raw.get(name);
    if (value === undefined) return whole; // chDB reports the missing substitution like a server
    if (COMPOSITE_TYPE.test(type)) {
      params[name] = value;
      return `CAST({${name}:String}, ${quoteSqlString(type)})`;
    }
    params[name] = unescapeTsv(value);
    return whole;
  });
  return { sql: rewritten, params };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = req.headers['content-encoding'];
  if (!encoding) return body;
  if (encoding === 'gzip') return gunzipSync(body);
  throw new HarnessError(400, 1000, `Unsupported Content-Encoding ${encoding} (the harness only understands gzip)`);
}

function parseMultipart(body: string, contentType: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const parts = new Map<string, string>();
  if (!boundary) return parts;
  for (const part of body.split(`--${boundary[1] ?? boundary[2]}`)) {
    const match = /^\r\nContent-Disposition: form-data; name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)\r\n$/i.exec(part);
    if (match) parts.set(match[1]!, match[2]!);
  }
  return parts;
}

const INSERT_SETTINGS = new Set(['insert_deduplication_token', 'distributed_foreground_insert']);

function formatOf(sql: string, fallback: string): string {
  return /\bFORMAT\s+([A-Za-z0-9]+)\s*;?\s*$/i.exec(sql)?.[1] ?? fallback;
}

async function parseRequest(req: IncomingMessage, url: URL): Promise<HarnessRequest> {
  const body = (await readBody(req)).toString('utf8');
  const fields = new Map<string, string>(url.searchParams);
  let text = body;
  const contentType = req.headers['content-type'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    for (const [name, value] of parseMultipart(body, contentType)) fields.set(name, value);
    text = '';
  }
  const inUrl = fields.get('query');
  // Like the server: the query may start in the URL and continue in the body (INSERT data).
  const sql = inUrl !== undefined ? (text ? `${inUrl}\n${text}` : inUrl) : text;
  if (!sql.trim()) throw new HarnessError(400, 62, 'Empty query. (SYNTAX_ERROR)');
  const params = new Map<string, string>();
  const insertSettings: string[] = [];
  for (const [name, value] of fields) {
    if (name.startsWith('param_')) params.set(name.slice('param_'.length), value);
    // Settings an INSERT must honour for tracetape's guarantees; other fields are protocol fields
    // read below, or settings the harness ignores.
    if (INSERT_SETTINGS.has(name) && /^[0-9A-Za-z_]+$/.test(value)) insertSettings.push(`${name} = '${value}'`);
  }
  return {
    sql: insertSettings.length > 0 ? sql.replace(/^(\s*INSERT\s+INTO\s+\S+)(\s+FORMAT\s)/i, `$1 SETTINGS ${insertSettings.join(', ')}$2`) : sql,
    params,
    database: fields.get('database'),
    format: formatOf(sql, fields.get('default_format') ?? 'TabSeparated'),
    queryId: fields.get('query_id') ?? randomUUID(),
  };
}

/** `Code: N. DB::Exception: ... (TYPE)` as the server prints it, whatever chDB wrapped around it. */
function clickHouseErrorText(error: unknown): { code: number; text: string } {
  const message = error instanceof Error ? error.message : String(error);
  const match = /Code: (\d+)\. DB::Exception: [\s\S]*/.exec(message);
  if (match) return { code: Number(match[1]), text: match[0] };
  const code = error instanceof HarnessError ? error.chCode : 1000;
  const text = /\([A-Z0-9_]{3,}\)\s*$/.test(message) ? message : `${message}. (UNKNOWN_EXCEPTION)`;
  return { code, text: `Code: ${code}. DB::Exception: ${text}` };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { 'X-ClickHouse-Server-Display-Name': 'tracetape-harness', 'X-ClickHouse-Timezone': 'UTC', ...headers });
  res.end(body);
}

/** Serves ClickHouse HTTP from a chDB session over `dir`, in this process. */
export async function serveClickHouseHttp(dir: string, port = 0): Promise<ClickHouseHttpHarness> {
  const chdb = await import('chdb');
  const session: Session = new chdb.Session(dir, { connectionArgs: ['--session_timezone=UTC'] });
  let currentDatabase = 'default';
  // One statement at a time: the session (and its current database) is shared by all requests.
  let queue: Promise<unknown> = Promise.resolve();

  async function execute(request: HarnessRequest): Promise<{ text: string; rowsRead: number; bytesRead: number; elapsed: number }> {
    if (request.database && request.database !== currentDatabase) {
      await session.queryAsync(`USE \`${request.database.replace(/[`\\]/g, '\\$&')}\``);
      currentDatabase = request.database;
    }
    const bound = bindParameters(request.sql, request.params);
    const result = Object.keys(bound.params).length > 0
      ? await session.queryBindAsync(bound.sql, bound.params, { format: request.format })
      : await session.queryAsync(bound.sql, { format: request.format });
    return { text: result.text(), rowsRead: result.rowsRead, bytesRead: result.bytesRead, elapsed: result.elapsed };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://harness');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      send(res, 200, { 'Content-Type': 'text/plain; charset=UTF-8' }, 'Ok.\n');
      return;
    }
    let queryId = url.searchParams.get('query_id') ?? randomUUID();
    try {
      if (url.pathname !== '/') throw new HarnessError(404, 1000, `There is no handler ${url.pathname}. (UNKNOWN_EXCEPTION)`);
      const request = await parseRequest(req, url);
      queryId = request.queryId;
      const run = queue.then(() => execute(request));
      queue = run.catch(() => undefined);
      const result = await run;
      const summary = {
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: '0',
        written_bytes: '0',
        total_rows_to_read: '0',
        result_rows: '0',
        result_bytes: String(Buffer.byteLength(result.text)),
        elapsed_ns: String(Math.round(result.elapsed * 1e9)),
      };
      send(res, 200, {
        'Content-Type': CONTENT_TYPES[request.format] ?? 'text/tab-separated-values; charset=UTF-8',
        'X-ClickHouse-Format': request.format,
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Summary': JSON.stringify(summary),
      }, result.text);
    } catch (error) {
      const { code, text } = clickHouseErrorText(error);
      send(res, error instanceof HarnessError ? error.status : 500, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(code),
        'X-ClickHouse-Query-Id': queryId,
      }, `${text}\n`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'X-ClickHouse-Exception-Code': '1000' }, `${clickHouseErrorText(error).text}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${listening}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      session.close();
      await chdb.drainPending();
    },
  };
}

/** Serves ClickHouse HTTP from a child process over `dir`. */
async function spawnClickHouseHttp(dir: string, port = 0): Promise<ClickHouseHttpHarness> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dir, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the ClickHouse HTTP harness exited with code ${code} before listening`)));
  });
  return {
    url,
    async close() {
      child.stdin.end(); // the child shuts down when its stdin closes (also if this process dies)
      await exited;
    },
  };
}

export function startClickHouseHttpHarness(dir: string, options: HarnessOptions = {}): Promise<ClickHouseHttpHarness> {
  return options.mode === 'in-process' ? serveClickHouseHttp(dir, options.port) : spawnClickHouseHttp(dir, options.port);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node clickhouse-http-server.ts <chdb-directory>\n');
    process.exit(2);
  }
  const harness = await serveClickHouseHttp(dir, Number(process.argv[3] ?? 0));
  process.stdout.write(`${JSON.stringify({ url: harness.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    harness.close().then(() => process.exit(0), () => process.exit(1));
  });
}
