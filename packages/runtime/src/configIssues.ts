import { formatIssues } from '@tocsin/events';
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/**
 * The known key that `key` is most likely a typo of (`severty` → `severity`, `webhok` → `webhook`): the closest by
 * edit distance, when at most a third of its letters differ (two for short keys, so `brust` → `burst`; one for
 * keys of three letters or fewer). Case and `-`/`_` slips count as close.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  if (!known.length) return undefined;
  const k = key.toLowerCase().replaceAll('-', '_');
  const best = closest(k, known);
  const allowed = best.length <= 3 ? 1 : Math.max(2, Math.floor(best.length / 3));
  return distance(k, best) <= allowed ? best : undefined;
}

/** The keys an object (or an enum-keyed record) schema accepts. */
function knownKeysOf(inst: unknown): string[] {
  const def = (
    inst as { _zod?: { def?: { shape?: object; keyType?: { _zod?: { values?: Set<unknown> } } } } }
  )?._zod?.def;
  if (def?.shape) return Object.keys(def.shape);
  const values = def?.keyType?._zod?.values;
  return values ? [...values].map(String) : [];
}

export type ConfigIssue = z.core.$ZodIssue;

/**
 * Validates config with a schema and turns every problem into one line per bad field: `path: reason`. An unknown
 * key gets its own line, `path.key: unknown key; did you mean "…"?` (or the list of known keys when none is
 * close), and `origin(path)` may name where a value came from (an environment variable).
 */
export function parseConfigValue<S extends z.ZodType>(
  schema: S,
  value: unknown,
  opts: { base?: string; origin?: (path: string[]) => string | undefined } = {},
): { success: true; data: z.output<S> } | { success: false; issues: string[] } {
  const known = new WeakMap<object, string[]>();
  const parsed = schema.safeParse(value, {
    error: (iss) => {
      // The raw issue still has the schema that refused the keys: remember what it accepts.
      if (iss.code === 'unrecognized_keys') known.set(iss.keys, knownKeysOf(iss.inst));
      if (iss.code === 'invalid_type' && iss.input === undefined) return 'required';
      return undefined;
    },
  });
  if (parsed.success) return { success: true, data: parsed.data };
  const base = opts.base ? [opts.base] : [];
  const lines: string[] = [];
  const add = (iss: ConfigIssue) => {
    // A key that would not read as one in a dotted path (empty, spaces, dots, colons) is quoted.
    const shown = iss.path.map((k) =>
      typeof k === 'number' || /^[\w-]+$/.test(String(k)) ? k : JSON.stringify(k),
    );
    const [line] = formatIssues([{ ...iss, path: shown }], opts.base);
    const from = opts.origin?.([...base, ...iss.path.map(String)]);
    lines.push(from ? `${line} (from ${from})` : line!);
  };
  for (const iss of parsed.error.issues) {
    if (iss.code !== 'unrecognized_keys') {
      add(iss);
      continue;
    }
    const keys = known.get(iss.keys) ?? [];
    for (const key of iss.keys) {
      const guess = didYouMean(key, keys);
      const message = guess
        ? `unknown key; did you mean "${guess}"?`
        : `unknown key${keys.length ? ` (known: ${keys.join(', ')})` : ''}`;
      add({ ...iss, path: [...iss.path, key], message });
    }
  }
  return { success: false, issues: lines };
}
