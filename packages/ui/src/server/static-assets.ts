import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UiAssetsMissingError } from '../errors.js';

/**
 * Where the build puts the page (scripts/build-web.mjs): dist/web, beside the package's entry
 * point. Found through the package, not this file: this code also runs from the CLI's bundle.
 */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('./web/', import.meta.resolve('@tracetape/ui')));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  body: Buffer;
  contentType: string;
}

/**
 * The built page, read once at start: a handful of small files, served from memory. Only files
 * the build wrote can be asked for, by name, so no path reaches outside the folder.
 */
export function loadAssets(dir: string = DEFAULT_ASSETS_DIR): Map<string, Asset> {
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new UiAssetsMissingError(dir);
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    const file = path.join(dir, name);
    if (contentType && fs.statSync(file).isFile()) assets.set(name, { body: fs.readFileSync(file), contentType });
  }
  return assets;
}
