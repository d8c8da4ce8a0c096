export const TRACER_NAME = '@tracetape/instrumentation';
