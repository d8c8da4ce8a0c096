/**
 * `node --import @tracetape/register app.js`: starts OpenTelemetry with tracetape capture (default)
 * or playback (TRACETAPE_MODE=playback), configured from TRACETAPE_* and OTEL_* variables.
 */
import { TracetapeError } from '@tracetape/core';
import { configFromEnv } from './config.js';
import { startTracetape, type TracetapeRuntime } from './start.js';

export { configFromEnv, type RegisterConfig, type RegisterMode } from './config.js';
export { startTracetape, type TracetapeRuntime } from './start.js';

const STARTED = Symbol.for('tracetape.register.started');
const holder = globalThis as { [STARTED]?: TracetapeRuntime };

if (!holder[STARTED]) {
  try {
    holder[STARTED] = startTracetape(configFromEnv());
  } catch (error) {
    // A misconfigured hook must stop the app before it runs unrecorded, or unprotected in playback.
    if (error instanceof TracetapeError) {
      process.stderr.write(`tracetape: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
