// Lets each scale benchmark run on its own (`node bench/tape-build.mjs --quick`) as well as from
// bench/run.mjs: the lead can rerun one figure after a change without paying for the others.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** --smoke (tiny sizes, for the test suite) implies --quick. */
export function modeFlags(args) {
  const { values } = parseArgs({ args, options: { quick: { type: 'boolean', default: false }, smoke: { type: 'boolean', default: false } }, strict: true });
  return { quick: values.quick || values.smoke, smoke: values.smoke };
}

/** The size a benchmark uses in the given mode. */
export function sizeFor({ quick, smoke }, sizes) {
  if (smoke) return sizes.smoke;
  return quick ? sizes.quick : sizes.full;
}

/** When `moduleUrl` is the entry script, runs `measure` with the command-line mode and prints its figures as JSON. */
export function runIfMain(moduleUrl, measure) {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  measure(modeFlags(process.argv.slice(2))).then(
    (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
