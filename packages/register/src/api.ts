/** What an app imports from tracetape; side-effect free, unlike the package root (the hook itself). */
export { run } from '@tracetape/instrumentation';
