// Prints what a child started under process propagation was handed, as one JSON line.
console.log(JSON.stringify({
  hook: globalThis.__propagationTestHook === true,
  traceparent: process.env.TRACEPARENT,
  path: process.env.TRACETAPE_PROCESS_PATH,
  nodeOptions: process.env.NODE_OPTIONS,
  setting: process.env.TRACETAPE_PROPAGATION_TEST_SETTING,
  mine: process.env.MINE,
}));
