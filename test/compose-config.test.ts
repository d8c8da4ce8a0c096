import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ChdbSpanStore, DEFAULT_DATABASE, DEFAULT_TRACES_TABLE, schemaStatements, type SpanRow } from '@tracetape/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, tempDir } from './support/cli.js';

/*
 * What can be checked of the Docker setup without Docker: docker-compose.yml, the Collector
 * configurations and Grafana's provisioning parse and point at each other (mounted paths exist,
 * endpoints name services and ports those services have, dashboards use the provisioned
 * datasource), the ClickHouse init script is tracetape's schema, and every dashboard query runs
 * against that schema in chDB and returns the columns its panel shows.
 */

type Yaml = Record<string, unknown>;
const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
// Compose files use YAML merge keys (`<<:`), a YAML 1.1 feature the parser needs asking for.
const readYaml = (file: string): Yaml => parse(read(file), { merge: true }) as Yaml;
const obj = (value: unknown, what: string): Yaml => {
  expect(value, what).toBeTypeOf('object');
  return value as Yaml;
};

/** Compose's `${NAME:-default}` as compose resolves it with NAME unset. */
const composeDefault = (text: string): string => text.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
/** The Collector's `${env:NAME:-default}` with NAME taken from `env`, else the default. */
const collectorEnv = (text: string, env: Yaml): string =>
  text.replace(/\$\{env:([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => String(env[name] ?? fallback ?? ''));

const compose = readYaml('docker-compose.yml');
const services = obj(compose.services, 'services');
const service = (name: string): Yaml => obj(services[name], `service ${name}`);
const environment = (name: string): Yaml => Object.fromEntries(
  Object.entries(obj(service(name).environment, `${name} environment`)).map(([k, v]) => [k, composeDefault(String(v))]),
);
/** Container ports a service publishes ("host:container"). */
const containerPorts = (name: string): number[] =>
  ((service(name).ports ?? []) as string[]).map((mapping) => Number(String(mapping).split(':').at(-1)));
/** Bind mounts as [host path, container path]. */
const bindMounts = (name: string): [string, string][] =>
  ((service(name).volumes ?? []) as string[])
    .map((volume) => String(volume).split(':'))
    .filter(([source]) => source!.startsWith('./'))
    .map(([source, target]) => [source!, target!]);
/** The host path mounted at `containerPath` (or a parent of it), resolved in the repository. */
function hostPathOf(name: string, containerPath: string): string {
  for (const [source, target] of bindMounts(name)) {
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return path.join(REPO_ROOT, source, containerPath.slice(target.length));
    }
  }
  throw new Error(`${containerPath} is not mounted into ${name}`);
}
/** An endpoint names a compose service and a port that service listens on inside the network. */
function expectServiceEndpoint(endpoint: string, serviceName: string, port: number): void {
  const url = new URL(endpoint);
  expect(url.hostname, endpoint).toBe(serviceName);
  expect(Object.keys(services)).toContain(serviceName);
  expect(Number(url.port), endpoint).toBe(port);
  expect(containerPorts(serviceName), `${serviceName} ports`).toContain(port);
}

describe('docker-compose.yml', () => {
  it('has the services, each on a pinned image', () => {
    expect(Object.keys(services).sort()).toEqual(['clickhouse', 'grafana', 'otel-collector', 'tracetape-collector']);
    for (const name of ['clickhouse', 'otel-collector', 'grafana']) {
      const image = String(service(name).image);
      expect(image, name).toMatch(/:[0-9][\w.-]*$/);
    }
    expect(String(service('clickhouse').image)).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(String(service('otel-collector').image)).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    expect(String(service('grafana').image)).toMatch(/^grafana\/grafana:/);
  });

  it('mounts paths that exist', () => {
    for (const name of Object.keys(services)) {
      for (const [source] of bindMounts(name)) expect(fs.existsSync(path.join(REPO_ROOT, source)), `${name}: ${source}`).toBe(true);
    }
    const build = obj(service('tracetape-collector').build, 'build');
    expect(fs.existsSync(path.join(REPO_ROOT, String(build.context), String(build.dockerfile)))).toBe(true);
  });

  it('initialises ClickHouse with exactly tracetape\'s schema', () => {
    const initDir = hostPathOf('clickhouse', '/docker-entrypoint-initdb.d');
    const sql = fs.readFileSync(path.join(initDir, '01-tracetape-schema.sql'), 'utf8');
    const statements = sql.replace(/^--.*$/gm, '').split(/;\s*$/m).map((s) => s.trim()).filter(Boolean);
    expect(statements).toEqual(schemaStatements());
  });

  it('runs tracetape collector against the ClickHouse service over HTTP', () => {
    const env = environment('tracetape-collector');
    expectServiceEndpoint(String(env.TRACETAPE_CLICKHOUSE_URL), 'clickhouse', 8123);
    expect(env.TRACETAPE_CLICKHOUSE_DATABASE).toBe(DEFAULT_DATABASE);
    expect(env.TRACETAPE_CLICKHOUSE_USER).toBe(environment('clickhouse').CLICKHOUSE_USER);
    expect(service('tracetape-collector').command).toEqual(['collector', '--host', '0.0.0.0']);
    expect(containerPorts('tracetape-collector')).toContain(4318);
  });
});

describe('collector-config', () => {
  const collectorEnvironment = environment('otel-collector');
  const configDir = (): string => {
    const command = composeDefault(String((service('otel-collector').command as string[])[0]));
    return path.dirname(hostPathOf('otel-collector', command.replace(/^--config=/, '')));
  };

  it('the default config named by the compose command is mounted', () => {
    const command = composeDefault(String((service('otel-collector').command as string[])[0]));
    expect(fs.existsSync(hostPathOf('otel-collector', command.replace(/^--config=/, '')))).toBe(true);
    expect(path.basename(command)).toBe('otel-collector-clickhouse.yaml');
  });

  for (const file of ['otel-collector-clickhouse.yaml', 'otel-collector-forward.yaml']) {
    it(`${file}: pipelines use defined components, OTLP ports are published`, () => {
      const config = parse(fs.readFileSync(path.join(configDir(), file), 'utf8')) as Yaml;
      const pipeline = obj(obj(obj(config.service, 'service').pipelines, 'pipelines').traces, 'traces pipeline');
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const component of pipeline[kind] as string[]) expect(Object.keys(obj(config[kind], kind)), `${file} ${kind}`).toContain(component);
      }
      expect(pipeline.processors).toContain('batch');
      const protocols = obj(obj(obj(config.receivers, 'receivers').otlp, 'otlp').protocols, 'protocols');
      for (const protocol of ['grpc', 'http']) {
        const port = Number(String(obj(protocols[protocol], protocol).endpoint).split(':').at(-1));
        expect(containerPorts('otel-collector'), protocol).toContain(port);
      }
    });
  }

  it('the clickhouse exporter writes the table tracetape reads, on the ClickHouse service', () => {
    const config = parse(fs.readFileSync(path.join(configDir(), 'otel-collector-clickhouse.yaml'), 'utf8')) as Yaml;
    const exporter = obj(obj(config.exporters, 'exporters').clickhouse, 'clickhouse exporter');
    for (const key of ['endpoint', 'database', 'traces_table_name', 'create_schema', 'ttl', 'timeout', 'sending_queue', 'retry_on_failure']) {
      expect(Object.keys(exporter)).toContain(key);
    }
    expect(exporter.traces_table_name).toBe(DEFAULT_TRACES_TABLE);
    expect(exporter.create_schema).toBe(true);
    expect(collectorEnv(String(exporter.database), collectorEnvironment)).toBe(DEFAULT_DATABASE);
    expect(collectorEnv(String(exporter.ttl), collectorEnvironment)).toMatch(/^\d+[hms]?$/);
    expectServiceEndpoint(collectorEnv(String(exporter.endpoint), collectorEnvironment), 'clickhouse', 9000);
    expect(collectorEnv(String(exporter.username), collectorEnvironment)).toBe(environment('clickhouse').CLICKHOUSE_USER);
  });

  it('the forwarding exporter sends OTLP/HTTP to the tracetape collector service', () => {
    const config = parse(fs.readFileSync(path.join(configDir(), 'otel-collector-forward.yaml'), 'utf8')) as Yaml;
    const exporters = obj(config.exporters, 'exporters');
    const name = Object.keys(exporters).find((key) => key.split('/')[0] === 'otlphttp')!;
    const endpoint = collectorEnv(String(obj(exporters[name], name).endpoint), collectorEnvironment);
    expect(endpoint).toBe('http://tracetape-collector:4318');
    // Without the compose environment, the file's own default points at the same place.
    expect(collectorEnv(String(obj(exporters[name], name).endpoint), {})).toBe(endpoint);
    expectServiceEndpoint(endpoint, 'tracetape-collector', 4318);
  });
});

const DASHBOARD_FILES = fs.readdirSync(path.join(REPO_ROOT, 'grafana/dashboards')).filter((f) => f.endsWith('.json'));

interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
  internal?: unknown;
}
interface FieldConfig {
  links?: DataLink[];
}
interface Panel {
  title: string;
  type: string;
  datasource?: { uid?: string };
  targets?: { rawSql?: string; datasource?: { uid?: string } }[];
  fieldConfig?: {
    defaults?: FieldConfig;
    overrides?: { matcher: { id: string; options: unknown }; properties: { id: string; value: unknown }[] }[];
  };
}
interface Variable {
  type: string;
  name: string;
  query?: string;
  current?: { text?: string; value?: string };
}
interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface RowPanel {
  title: string;
  type: 'row';
  collapsed?: boolean;
  panels?: unknown[];
  targets?: unknown[];
  gridPos: GridPos;
}
/**
 * Each dashboard, its query panels as `json.panels` and its row headers (type "row": a title over
 * the panels below it, no query of its own) as `rows`.
 */
const dashboards = DASHBOARD_FILES.map((file) => {
  const json = JSON.parse(read(`grafana/dashboards/${file}`)) as { uid: string; panels: (Panel & { gridPos?: GridPos })[]; templating?: { list?: Variable[] } };
  const rows = json.panels.filter((p) => p.type === 'row') as unknown as RowPanel[];
  return { file, json: { ...json, panels: json.panels.filter((p) => p.type !== 'row') }, rows, layout: json.panels };
});

describe('grafana', () => {
  const datasources = (readYaml('grafana/provisioning/datasources/clickhouse.yaml').datasources as Yaml[]).map((d) => obj(d, 'datasource'));

  it('installs a pinned ClickHouse datasource plugin and provisions it for otel_traces', () => {
    const plugins = String(environment('grafana').GF_INSTALL_PLUGINS);
    expect(plugins).toMatch(/^grafana-clickhouse-datasource \d+\.\d+\.\d+$/);
    const [datasource] = datasources;
    expect(datasource!.type).toBe('grafana-clickhouse-datasource');
    const jsonData = obj(datasource!.jsonData, 'jsonData');
    expectServiceEndpoint(`${jsonData.protocol}://${jsonData.host}:${jsonData.port}`, 'clickhouse', 8123);
    expect(jsonData.defaultDatabase).toBe(DEFAULT_DATABASE);
    const traces = obj(jsonData.traces, 'traces');
    expect(traces).toMatchObject({ defaultDatabase: DEFAULT_DATABASE, defaultTable: DEFAULT_TRACES_TABLE, otelEnabled: true, durationUnit: 'nanoseconds' });
    // The lookup table the plugin derives from the suffix is the one the schema creates.
    expect(schemaStatements().some((s) => s.includes(`\`${DEFAULT_TRACES_TABLE}${traces.traceTimestampTableSuffix}\``))).toBe(true);
    // Credentials come from the grafana service's environment.
    expect(String(jsonData.username).replace(/^\$/, '') in environment('grafana')).toBe(true);
    expect(String(obj(datasource!.secureJsonData, 'secureJsonData').password).replace(/^\$/, '') in environment('grafana')).toBe(true);
  });

  it('loads dashboards from the mounted directory, and they use the provisioned datasource', () => {
    const providers = readYaml('grafana/provisioning/dashboards/tracetape.yaml').providers as Yaml[];
    const dashboardPath = String(obj(obj(providers[0], 'provider').options, 'options').path);
    expect(fs.realpathSync(hostPathOf('grafana', dashboardPath))).toBe(fs.realpathSync(path.join(REPO_ROOT, 'grafana/dashboards')));
    expect(fs.existsSync(hostPathOf('grafana', String(environment('grafana').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH)))).toBe(true);
    expect(hostPathOf('grafana', '/etc/grafana/provisioning')).toBe(path.join(REPO_ROOT, 'grafana/provisioning'));
    const uids = new Set(datasources.map((d) => d.uid));
    expect(dashboards.length).toBeGreaterThanOrEqual(2);
    for (const { file, json } of dashboards) {
      for (const panel of json.panels) {
        expect(uids.has(panel.datasource?.uid), `${file}: ${panel.title}`).toBe(true);
        for (const target of panel.targets ?? []) expect(uids.has(target.datasource?.uid), `${file}: ${panel.title}`).toBe(true);
      }
    }
  });

  it('lays panels out without overlapping; row headers are open and hold no query', () => {
    for (const { file, rows, layout } of dashboards) {
      for (const row of rows) {
        expect(row, `${file}: ${row.title}`).toMatchObject({ collapsed: false, panels: [] });
        expect(row.targets, `${file}: ${row.title}`).toBeUndefined();
      }
      const boxes = layout.map((p) => ({ title: p.title, ...p.gridPos! }));
      for (const [i, a] of boxes.entries()) {
        expect(a.x + a.w, `${file}: ${a.title}`).toBeLessThanOrEqual(24);
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${file}: ${a.title} / ${b.title}`).toBe(false);
        }
      }
    }
  });
});

/*
 * Links to `tracetape ui`: every table column holding a trace ID links to
 * ${tracetape_ui}/runs/<trace ID>, `tracetape_ui` being a dashboard variable (a textbox, so a
 * viewer can point it elsewhere) whose default is where `tracetape ui` serves by default.
 *
 * How Grafana (>= 10) puts a field's links together, which effectiveLinks() below replays:
 * the links the datasource put on the field come first; the panel's fieldConfig.defaults.links
 * are appended to them (or, on a field without any, become its links); then every override whose
 * matcher takes the field sets its links outright. The ClickHouse plugin (4.x) puts "View trace"
 * and "View logs" links on the first field named trace_id or traceid in every response: that is
 * why the tracetape ui link is a panel default (it joins them) and an override takes it off the
 * other columns, instead of an override on trace_id (which would drop the trace view's link).
 */
const TRACETAPE_UI_DEFAULT = 'http://127.0.0.1:8273';
const TRACETAPE_UI_URL = '${tracetape_ui}/runs/${__value.raw}';

/** The columns of each table panel that hold trace IDs, by dashboard file and panel title. */
const TRACE_ID_COLUMNS: Record<string, Record<string, string[]>> = {
  'tracetape-runs.json': {
    'Error runs': ['trace_id'],
    'Recorded runs': ['trace_id'],
    'Replays continued live (--then-live)': ['replay_trace_id', 'replay_of'],
    "Each fixture's health": ['replay_of'],
    'Repeated side effects': ['trace_id'],
  },
  'tracetape-llm.json': {
    'Recent LLM calls': ['trace_id'],
  },
};

/** The columns holding a step of the row's run, which link to ${tracetape_ui}/runs/<trace_id>/steps/<step>. */
const STEP_COLUMNS: Record<string, Record<string, string[]>> = {
  'tracetape-runs.json': { 'Repeated side effects': ['first_step', 'repeat_step'] },
};
const TRACETAPE_UI_STEP_URL = '${tracetape_ui}/runs/${__data.fields.trace_id}/steps/${__value.raw}';

/** The plugin's own links on a column of a response (transformQueryResponseWithTraceAndLogLinks). */
function pluginLinks(columns: string[], column: string): DataLink[] | undefined {
  const traceField = columns.find((name) => ['trace_id', 'traceid'].includes(name.toLowerCase()));
  return column === traceField ? [{ title: 'View trace', url: '', internal: {} }, { title: 'View logs', url: '', internal: {} }] : undefined;
}

/** Whether an override's matcher takes the column (the matchers these dashboards use). */
function matches(matcher: { id: string; options: unknown }, column: string): boolean {
  if (matcher.id === 'byName') return matcher.options === column;
  if (matcher.id === 'byNames') {
    const { mode = 'include', names = [] } = matcher.options as { mode?: string; names?: string[] };
    return names.includes(column) === (mode === 'include');
  }
  throw new Error(`effectiveLinks() does not know the matcher ${matcher.id}`);
}

/** The links Grafana shows on a column of a table panel, given the columns its query returns. */
function effectiveLinks(panel: Panel, columns: string[], column: string): DataLink[] {
  let links = pluginLinks(columns, column);
  const defaults = panel.fieldConfig?.defaults?.links;
  if (defaults) links = links ? [...links, ...defaults] : defaults;
  for (const override of panel.fieldConfig?.overrides ?? []) {
    if (!matches(override.matcher, column)) continue;
    for (const property of override.properties) if (property.id === 'links') links = property.value as DataLink[];
  }
  return links ?? [];
}

/** A link's URL as Grafana interpolates it, with the variable at its default and `value` under the cursor. */
const interpolate = (url: string, value: string): string =>
  url.replaceAll('${tracetape_ui}', TRACETAPE_UI_DEFAULT).replaceAll('${__value.raw}', value);

describe('grafana links to tracetape ui', () => {
  it('every dashboard has the tracetape_ui variable, a textbox defaulting to where tracetape ui serves', () => {
    for (const { file, json } of dashboards) {
      const variable = (json.templating?.list ?? []).find((v) => v.name === 'tracetape_ui');
      expect(variable, file).toMatchObject({ type: 'textbox', query: TRACETAPE_UI_DEFAULT, current: { value: TRACETAPE_UI_DEFAULT } });
    }
  });

  it('the trace ID columns listed are every table column named like one', () => {
    for (const { file, json } of dashboards) {
      for (const panel of json.panels.filter((p) => p.type === 'table')) {
        const named = EXPECTED_COLUMNS[file]![panel.title]!.filter((c) => /trace_?id|replay_of/i.test(c));
        expect(named, `${file}: ${panel.title}`).toEqual(TRACE_ID_COLUMNS[file]?.[panel.title] ?? []);
      }
    }
  });

  for (const { file, json } of dashboards) {
    for (const panel of json.panels.filter((p) => p.type === 'table')) {
      it(`${file}: ${panel.title}: trace IDs link to their run in tracetape ui, no other column does`, () => {
        const columns = EXPECTED_COLUMNS[file]![panel.title]!;
        const traceColumns = TRACE_ID_COLUMNS[file]?.[panel.title] ?? [];
        for (const column of columns) {
          const links = effectiveLinks(panel, columns, column);
          const ours = links.filter((link) => link.url.includes('${tracetape_ui}'));
          if (traceColumns.includes(column)) {
            expect(ours, column).toEqual([{ title: 'Open the run in tracetape ui', url: TRACETAPE_UI_URL, targetBlank: true }]);
            // The plugin's link to Grafana's own trace view stays.
            if (pluginLinks(columns, column)) expect(links.map((link) => link.title), column).toContain('View trace');
          } else if (STEP_COLUMNS[file]?.[panel.title]?.includes(column)) {
            expect(links, column).toEqual([{ title: 'Open the step in tracetape ui', url: TRACETAPE_UI_STEP_URL, targetBlank: true }]);
          } else {
            expect(links, column).toEqual(pluginLinks(columns, column) ?? []);
          }
        }
      });
    }
  }
});

/*
 * Grafana macros replaced by the SQL the ClickHouse plugin expands them to, over a fixed window
 * (the last day up to an hour ahead) and a one-minute interval:
 *   $__timeFilter(col)   col >= toDateTime64(from, 3) AND col <= toDateTime64(to, 3)
 *   $__timeInterval(col) toStartOfInterval(toDateTime(col), INTERVAL 60 second)
 *   $__fromTime / $__toTime   toDateTime64(from, 3) / toDateTime64(to, 3)
 *   $__interval_s        60
 */
const FROM = Math.floor(Date.now() / 1000) - 86_400;
const TO = Math.floor(Date.now() / 1000) + 3_600;
export function expandGrafanaMacros(sql: string): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, `$1 >= toDateTime64(${FROM}, 3) AND $1 <= toDateTime64(${TO}, 3)`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, 'toStartOfInterval(toDateTime($1), INTERVAL 60 second)')
    .replace(/\$__fromTime\b/g, `toDateTime64(${FROM}, 3)`)
    .replace(/\$__toTime\b/g, `toDateTime64(${TO}, 3)`)
    .replace(/\$__interval_s\b/g, '60');
}

/** The columns each panel shows, by dashboard file and panel title. */
const EXPECTED_COLUMNS: Record<string, Record<string, string[]>> = {
  'tracetape-runs.json': {
    'Runs over time': ['time', 'service', 'runs'],
    'Error runs over time': ['time', 'error_runs'],
    'Error runs': ['trace_id', 'service', 'run', 'started', 'error_spans', 'first_error', 'recorded_calls'],
    'Recorded runs': ['trace_id', 'service', 'run', 'started', 'duration_ms', 'recorded_calls', 'llm_calls', 'status'],
    'Replays continued live (--then-live)': ['replay_trace_id', 'replay_of', 'run', 'started', 'served_from_tape', 'went_live', 'status'],
    'Fixtures by health': ['passing', 'failing', 'stale'],
    "Each fixture's health": ['fixture', 'health', 'last_verdict', 'last_run', 'last_pass', 'seconds_since_last_pass', 'runs_in_interval', 'interval_s', 'replay_of'],
    'Repeated side effects': [
      'trace_id', 'service', 'method', 'target', 'first_step', 'repeat_step', 'first_span_id', 'repeat_span_id', 'seconds_between',
      'first_status', 'idempotency_key_first', 'idempotency_key_repeat', 'verdict', 'strength',
    ],
  },
  'tracetape-llm.json': {
    'LLM calls by model': ['model', 'provider', 'calls', 'errors', 'avg_latency_ms', 'p95_latency_ms', 'input_tokens', 'output_tokens'],
    'Tokens over time by model': ['time', 'model', 'tokens'],
    'LLM latency over time by model (p95, ms)': ['time', 'model', 'p95_ms'],
    'Recent LLM calls': ['time', 'trace_id', 'service', 'model', 'latency_ms', 'input_tokens', 'output_tokens', 'status'],
  },
};

describe('dashboard queries against the schema (chDB)', () => {
  const dir = tempDir('tracetape-dashboards-');
  const store = new ChdbSpanStore({ dir: path.join(dir.dir, 'store') });
  const data = dashboardData();

  beforeAll(async () => {
    await store.init();
    await store.insert(data.rows, []);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('every panel of every dashboard is listed here', () => {
    for (const { file, json } of dashboards) {
      expect(json.panels.map((p) => p.title).sort(), file).toEqual(Object.keys(EXPECTED_COLUMNS[file] ?? {}).sort());
    }
  });

  for (const { file, json } of dashboards) {
    for (const panel of json.panels) {
      it(`${file}: ${panel.title}`, async () => {
        const sql = expandGrafanaMacros(panel.targets![0]!.rawSql!);
        expect(sql).not.toContain('$');
        const result = JSON.parse(await store.query(sql, 'JSON')) as { meta: { name: string }[]; data: Record<string, unknown>[] };
        expect(result.meta.map((m) => m.name)).toEqual(EXPECTED_COLUMNS[file]![panel.title]);
        expect(result.data.length, 'rows').toBeGreaterThan(0);
      });
    }
  }

  it('the columns that link to tracetape ui are those holding the trace IDs of the runs', async () => {
    const traceIds = new Set(data.rows.map((row) => row.TraceId));
    for (const { file, json } of dashboards) {
      for (const panel of json.panels.filter((p) => p.type === 'table')) {
        const sql = expandGrafanaMacros(panel.targets![0]!.rawSql!);
        const result = JSON.parse(await store.query(sql, 'JSON')) as { meta: { name: string }[]; data: Record<string, unknown>[] };
        expect(result.data.length, `${file}: ${panel.title}`).toBeGreaterThan(0);
        const columns = result.meta.map((m) => m.name);
        const holdingTraceIds = columns.filter((c) => result.data.every((row) => traceIds.has(String(row[c]))));
        expect(holdingTraceIds, `${file}: ${panel.title}`).toEqual(TRACE_ID_COLUMNS[file]?.[panel.title] ?? []);
        for (const column of holdingTraceIds) {
          const [link] = effectiveLinks(panel, columns, column).filter((l) => l.url.includes('${tracetape_ui}'));
          for (const row of result.data) {
            expect(interpolate(link!.url, String(row[column]))).toBe(`${TRACETAPE_UI_DEFAULT}/runs/${String(row[column])}`);
          }
        }
      }
    }
  });

  it('reads the numbers the spans carry', async () => {
    const llm = dashboards.find((d) => d.file === 'tracetape-llm.json')!.json.panels.find((p) => p.title === 'LLM calls by model')!;
    const result = JSON.parse(await store.query(expandGrafanaMacros(llm.targets![0]!.rawSql!), 'JSON')) as { data: Record<string, unknown>[] };
    // 64-bit integers arrive as numbers or strings depending on output settings: compare as numbers.
    expect(result.data).toEqual([expect.objectContaining({ model: 'gpt-4o-mini-2024-07-18', provider: 'openai', calls: expect.anything() })]);
    expect([result.data[0]!.calls, result.data[0]!.input_tokens, result.data[0]!.output_tokens].map(Number)).toEqual([2, 240, 96]);
    const runs = dashboards.find((d) => d.file === 'tracetape-runs.json')!.json.panels.find((p) => p.title === 'Replays continued live (--then-live)')!;
    const replays = JSON.parse(await store.query(expandGrafanaMacros(runs.targets![0]!.rawSql!), 'JSON')) as { data: Record<string, unknown>[] };
    expect(replays.data).toEqual([expect.objectContaining({ replay_trace_id: data.replayTraceId, replay_of: data.runTraceId })]);
    expect([replays.data[0]!.served_from_tape, replays.data[0]!.went_live].map(Number)).toEqual([1, 1]);
    // The check is a replay of the run too, but not one continued live: the fixture-health panels show it.
    const runsPanels = dashboards.find((d) => d.file === 'tracetape-runs.json')!.json.panels;
    const panel = (title: string) => runsPanels.find((p) => p.title === title)!;
    const health = JSON.parse(await store.query(expandGrafanaMacros(panel("Each fixture's health").targets![0]!.rawSql!), 'JSON')) as { data: Record<string, unknown>[] };
    expect(health.data).toEqual([expect.objectContaining({ fixture: 'refund-once', health: 'passing', last_verdict: 'pass', replay_of: data.runTraceId })]);
    const counts = JSON.parse(await store.query(expandGrafanaMacros(panel('Fixtures by health').targets![0]!.rawSql!), 'JSON')) as { data: Record<string, unknown>[] };
    expect(counts.data.map((row) => [row.passing, row.failing, row.stale].map(Number))).toEqual([[1, 0, 0]]);
  });
});

/* A recorded run with an LLM call and a failed refund sent again, a replay of it continued live, and a passing check of a fixture made from it. */
function dashboardData(now = Date.now()): { rows: SpanRow[]; runTraceId: string; replayTraceId: string } {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
  const timestamp = (ms: number): string => {
    const iso = new Date(ms).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000`;
  };
  const span = (traceId: string, parent: string, at: number, attributes: Record<string, string>, status = 'Unset'): SpanRow => ({
    Timestamp: timestamp(at), TraceId: traceId, SpanId: hex(8), ParentSpanId: parent, TraceState: '',
    SpanName: parent ? 'POST' : 'agent.mjs', SpanKind: parent ? 'Client' : 'Internal', ServiceName: 'support-agent',
    ResourceAttributes: { 'service.name': 'support-agent' }, ScopeName: '@tracetape/instrumentation', ScopeVersion: '',
    SpanAttributes: attributes, Duration: '250000000', StatusCode: status, StatusMessage: status === 'Error' ? 'Service Unavailable' : '',
    'Events.Timestamp': [], 'Events.Name': [], 'Events.Attributes': [],
    'Links.TraceId': [], 'Links.SpanId': [], 'Links.TraceState': [], 'Links.Attributes': [],
  });
  const llm = {
    'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.usage.input_tokens': '120', 'gen_ai.usage.output_tokens': '48', 'tracetape.input.hash': 'a'.repeat(64),
  };
  const refund = { 'tracetape.request.method': 'POST', 'tracetape.request.target': 'https://shop.example/refunds', 'tracetape.repeat.key': 'd'.repeat(64) };
  const runTraceId = hex(16);
  const replayTraceId = hex(16);
  const run = span(runTraceId, '', now - 60_000, { 'tracetape.run': 'process' });
  const replay = span(replayTraceId, '', now - 30_000, { 'tracetape.run': 'process', 'tracetape.replay.of': runTraceId });
  // A check of a fixture made from the run, as tracetape check stores it: one span, a run of its own.
  const check = {
    ...span(hex(16), '', now - 20_000, {
      'tracetape.run.type': 'replay', 'tracetape.replay.of': runTraceId, 'tracetape.replay.outcome': 'passed',
      'tracetape.fixture.id': 'refund-once', 'tracetape.check.verdict': 'pass', 'tracetape.check.mode': 'cassette', 'tracetape.check.interval_s': '86400',
    }),
    SpanName: 'tracetape check refund-once', ScopeName: '@tracetape/replay',
  };
  return {
    runTraceId,
    replayTraceId,
    rows: [
      run,
      span(runTraceId, run.SpanId, now - 59_000, llm),
      span(runTraceId, run.SpanId, now - 58_000, { 'tracetape.input.hash': 'b'.repeat(64), 'http.response.status_code': '503', ...refund }, 'Error'),
      // The failed refund sent again: a repeated side effect.
      span(runTraceId, run.SpanId, now - 57_000, { 'tracetape.input.hash': 'e'.repeat(64), 'http.response.status_code': '201', ...refund }),
      replay,
      span(replayTraceId, replay.SpanId, now - 29_000, { ...llm, 'tracetape.replay.step': '1' }),
      span(replayTraceId, replay.SpanId, now - 28_000, { 'tracetape.input.hash': 'c'.repeat(64) }),
      check,
    ],
  };
}
