import { createRequire } from 'node:module';
import { freshBundle } from './fresh-bundle.js';

/*
 * The `tracetape` command. It runs from dist/bundle/ (one file per command, written by
 * scripts/bundle-cli.mjs) while that bundle is current: Node's loader resolves, reads and links
 * each of the ~240 modules of `tracetape replay` on its own, which held the command, and so the
 * app it starts, back by ~100 ms on a two-core machine (BENCHMARKS.md, session 22). The version
 * needs neither.
 */
const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
  // dist/cli.js sits one level below its package.json.
  process.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`);
} else {
  // chDB and the ClickHouse client, left out of it, are required by @tracetape/clickhouse, which declares them.
  const bundle = freshBundle(new URL('./bundle/main.js', import.meta.url));
  const { runCli } = (await import(bundle?.href ?? './main.js')) as typeof import('./main.js');
  runCli(argv);
}
