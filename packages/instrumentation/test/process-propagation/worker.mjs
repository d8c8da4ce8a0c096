// Posts what a worker started under process propagation was handed.
import { getEnvironmentData, parentPort } from 'node:worker_threads';

parentPort.postMessage({ hook: globalThis.__propagationTestHook === true, run: getEnvironmentData('tracetape.run') ?? null, mine: process.env.MINE ?? null });
