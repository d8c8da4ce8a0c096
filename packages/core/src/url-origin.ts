/**
 * A URL's scheme, host and port. `URL.origin` is the string "null" for schemes the URL standard
 * does not know (`postgres://`, `redis://`), which would make every database call look alike.
 */
export function originOf(url: URL): string {
  return url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`;
}
