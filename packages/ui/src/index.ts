export type * from './api.js';
export { UiAssetsMissingError, UiRequestError } from './errors.js';
export type { LoadedReplay, LoadedRun, RunFilter, RunSource } from './run-source.js';
export { isLoopbackHost } from './server/access.js';
export { DEFAULT_UI_PORT, startUiServer, type UiServer, type UiServerOptions } from './server/ui-server.js';
export { StoreRunSource, type StoreSession, type TapeBuilder } from './sources/store-source.js';
export { TapeRunSource } from './sources/tape-source.js';
export { compareRuns } from './views/compare-runs.js';
