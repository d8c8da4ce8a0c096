/**
 * A call's target as a template: query and fragment dropped, the port dropped (a service on a fresh
 * port each run is still the same one), and IDs in the path collapsed to `{id}`:
 * `http://shop:8080/orders/42?x=1` → `http://shop/orders/{id}`.
 */
export function targetTemplate(url: string): string {
  const bare = url.replace(/[?#].*$/, '').replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:]+):\d+/i, '$1');
  // Only the path is templated: a host such as `127.0.0.1` or `api2.example.com` names a system, not an ID.
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(bare)?.[0] ?? '';
  const path = bare.slice(origin.length);
  return origin + path.split('/').map((segment) => (isIdSegment(segment) ? '{id}' : segment)).join('/');
}

/** A path segment that names one thing rather than a kind of thing: numbers, UUIDs, hex, `re_3MtwBw…`. */
export function isIdSegment(segment: string): boolean {
  if (segment === '') return false;
  if (/^\d+$/.test(segment)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return true;
  if (/^[0-9a-f]{8,}$/i.test(segment)) return true;
  // Long tokens with digits in them (Stripe's `re_3MtwBwLkdIwHu7ix`, ULIDs); `v1`, `2fa` are too short.
  return segment.length >= 8 && /\d/.test(segment) && /^[\w.~-]+$/.test(segment) && !/^v\d+(\.\d+)*$/.test(segment);
}
