/**
 * `node --import @tracetape/register app.js`: starts OpenTelemetry with tracetape capture (default)
 * or playback (TRACETAPE_MODE=playback), configured from TRACETAPE_* and OTEL_* variables.
 */
import { ConfigError, TracetapeError } from '@tracetape/core';
import { configFromEnv, retiredVariablesNotice } from './config.js';
import { startTracetape, type TracetapeRuntime } from './start.js';

export { configFromEnv, type RegisterConfig, type RegisterMode } from './config.js';
export { startTracetape, type TracetapeRuntime } from './start.js';

const STARTED = Symbol.for('tracetape.register.started');
const holder = globalThis as { [STARTED]?: TracetapeRuntime };

if (!holder[STARTED]) {
  try {
    requireSupportedNode();
    const config = configFromEnv();
    const retired = config.mode === 'capture' || config.thenLive ? retiredVariablesNotice() : undefined;
    if (retired) process.stderr.write(`${retired}\n`);
    holder[STARTED] = await startTracetape(config);
  } catch (error) {
    // A misconfigured hook must stop the app before it runs unrecorded, or unprotected in playback.
    if (error instanceof TracetapeError) {
      process.stderr.write(`tracetape: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** OpenTelemetry JS 3.x needs Node 22.15; on older Nodes the hook would start and then break every fetch. */
function requireSupportedNode(): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new ConfigError(`Node.js 22.15 or newer is needed (OpenTelemetry JS 3.x); this is ${process.version}. Run the app with Node 22.15+ or 24.`);
  }
}
