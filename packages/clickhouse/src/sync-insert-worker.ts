/**
 * Child process behind ServerSpanStore.insertSync: an 'exit' handler cannot wait for HTTP, but it
 * can block on a child that does. Reads one job as JSON on stdin, inserts, exits 0, or prints the
 * reason to stderr and exits 1. Self-contained on purpose (only @clickhouse/client), so it starts fast.
 */
import { createClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';

export interface SyncInsertJob {
  client: ClickHouseClientConfigOptions;
  /** DDL to run first (the schema, when the parent never initialised it). */
  schema: string[];
  batches: { table: string; rows: object[]; settings: Record<string, string | number> }[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const job = JSON.parse(await readStdin()) as SyncInsertJob;
  const client = createClient(job.client);
  try {
    for (const statement of job.schema) await client.command({ query: statement });
    for (const batch of job.batches) {
      await client.insert({ table: batch.table, values: batch.rows, format: 'JSONEachRow', clickhouse_settings: batch.settings });
    }
  } finally {
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
