import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSources } from '../src/index.js';
import { CountingHandler } from './counting-handler.js';

// Modules that read the clock, installed where a package of that name would be.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tracetape-caller-filter-'));
function clockReaderAt(dir: string): () => number {
  const file = path.join(root, dir, 'clock.cjs');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'module.exports = () => Date.now();\n');
  return createRequire(import.meta.url)(file) as () => number;
}

describe("the clock reads counted as the app's", () => {
  const handler = new CountingHandler();
  let restore: () => void;
  beforeAll(() => {
    restore = installSources(handler);
  });
  afterAll(() => {
    restore();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const counted = (read: () => number): number => {
    handler.clocks = 0;
    read();
    return handler.clocks;
  };

  it("are the app's own and its libraries', not those of the clients the SDK's resource detectors use", () => {
    expect(counted(clockReaderAt('app/src'))).toBe(1);
    expect(counted(clockReaderAt('app/node_modules/date-fns'))).toBe(1);
    // The GCP resource detector of OpenTelemetry's zero-code setup asks the metadata server through these.
    expect(counted(clockReaderAt('app/node_modules/gaxios/build/cjs/src'))).toBe(0);
    expect(counted(clockReaderAt('app/node_modules/gcp-metadata/build/src'))).toBe(0);
    expect(counted(clockReaderAt('app/node_modules/@opentelemetry/resource-detector-gcp/build'))).toBe(0);
  });
});
