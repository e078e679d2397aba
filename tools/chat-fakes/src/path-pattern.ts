/**
 * Matches a request path against a pattern: `:name` matches exactly one segment, a trailing `*` matches the
 * rest (zero or more segments), anything else must be equal. A RegExp is tested against the whole path.
 *
 *   pathMatches('/channels/:id/messages', '/channels/123/messages')  // true
 *   pathMatches('/channels/123/*', '/channels/123/messages/456')     // true
 */
export function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(path);
  const want = pattern.split('/');
  const got = path.split('/');
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w === '*' && i === want.length - 1) return true;
    const g = got[i];
    if (g === undefined) return false;
    if (w.startsWith(':') ? g === '' : w !== g) return false;
  }
  return want.length === got.length;
}
