// Stands in for the register hook: says it was loaded.
globalThis.__propagationTestHook = true;
