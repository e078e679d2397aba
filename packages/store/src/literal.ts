/**
 * A string as an SQL literal, for the statements sent as one simple query (no parameters there). Same output as
 * pg's `escapeLiteral` (quotes doubled; with a backslash, an E'' literal with backslashes doubled), but built with
 * `replaceAll` instead of one concatenation per character: on the megabytes of JSON a batch writes, that loop was a
 * large share of the alerter's garbage.
 */
export function sqlLiteral(s: string): string {
  const quoted = s.includes("'") ? s.replaceAll("'", "''") : s;
  return s.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
