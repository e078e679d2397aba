/**
 * The contract's text policy: every string (and object key) in an event, notification or RPC message is valid
 * Unicode without NUL. Messages that break it are refused, at publish and at decode, with the path of each bad
 * string: PostgreSQL cannot store them (`text` refuses 0x00, `jsonb` refuses `\u0000` and unpaired surrogate
 * escapes), so a consumer that accepted one would fail on it every time it is delivered.
 */

/** A JSON escape that can produce such a string (`\u0000`, or any surrogate: paired ones are checked after parsing). */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const BAD_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_ISSUES = 20;

/**
 * Cheap pre-check on JSON text (a parsed JSON document, or JSON.stringify's output): false means no string in it can
 * break the policy. Raw NUL cannot appear in valid JSON, and UTF-8 text cannot hold a lone surrogate.
 */
export function mayHaveBadText(json: string): boolean {
  // Most JSON holds no `\u` escape at all: a plain substring search (several times faster than the expression's
  // scan, on every event decoded and every notification published) settles it.
  return json.includes('\\u') && SUSPECT_ESCAPE.test(json);
}

function describe(s: string): string | null {
  const m = BAD_CHAR.exec(s);
  if (!m) return null;
  const c = m[0].charCodeAt(0);
  if (c === 0) return `contains a NUL character (U+0000) at offset ${m.index}`;
  return `contains a lone surrogate (U+${c.toString(16).toUpperCase()}) at offset ${m.index}: not valid Unicode`;
}

/** One `path: reason` line per string or key that breaks the text policy (at most 20, then a count). */
export function textIssues(value: unknown, base?: string): string[] {
  const issues: string[] = [];
  let more = 0;
  const add = (path: string[], what: string) => {
    if (issues.length < MAX_ISSUES) issues.push(`${path.join('.') || '(root)'}: ${what}`);
    else more++;
  };
  const walk = (v: unknown, path: string[]) => {
    if (typeof v === 'string') {
      const bad = describe(v);
      if (bad) add(path, bad);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, [...path, String(i)]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const bad = describe(k);
        if (bad) add(path, `a key ${bad}`);
        walk(x, [...path, k]);
      }
    }
  };
  walk(value, base ? [base] : []);
  if (more) issues.push(`(and ${more} more strings that break the text policy)`);
  return issues;
}
