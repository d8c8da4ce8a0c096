import {
  ConfigError,
  InvalidTraceIdError,
  NothingToReplayError,
  StoreUnavailableError,
  TracetapeError,
  UnknownTraceError,
} from '@tracetape/core';

/** A request the viewer refuses, with the HTTP status it answers and what to do instead. */
export class UiRequestError extends TracetapeError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** The viewer's page is missing from the package: it was not built. */
export class UiAssetsMissingError extends TracetapeError {
  constructor(dir: string) {
    super('TRACETAPE_UI_NOT_BUILT', `The viewer's page is not built (nothing at ${dir}). Run \`npm run build\` in the tracetape checkout, or reinstall the package.`);
  }
}

/** The status an error answers with: the user's mistake (4xx), the store's state (503), or ours (500). */
export function statusOf(error: unknown): number {
  if (error instanceof UiRequestError) return error.status;
  if (error instanceof InvalidTraceIdError || error instanceof ConfigError) return 400;
  if (error instanceof UnknownTraceError || error instanceof NothingToReplayError) return 404;
  if (error instanceof StoreUnavailableError) return 503;
  return 500;
}

export function codeOf(error: unknown): string {
  return error instanceof TracetapeError ? error.code : 'TRACETAPE_UI_UNEXPECTED';
}
