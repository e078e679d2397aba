import type { EventRegistry } from '@tocsin/events';

/**
 * Checks that a path read by a rule exists in the data schema of a known event type, so a typo in a rule is a
 * start-up error and not an alert that silently never fires. Unknown event types (user publishers) are not
 * checked.
 */
type ZodLike = { _zod?: { def?: Record<string, unknown> } };

function unwrap(schema: ZodLike): ZodLike {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod?.def;
    if (!def) return s;
    const type = def.type as string;
    if (['nullable', 'optional', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(type))
      s = def.innerType as ZodLike;
    else if (type === 'pipe') s = def.in as ZodLike;
    else return s;
  }
  return s;
}

function fieldsOf(schema: ZodLike): string[] | null {
  const s = unwrap(schema);
  const def = s._zod?.def;
  if (def?.type === 'object') return Object.keys(def.shape as object);
  return null;
}

/** Returns null when the path is fine, else the reason. */
export function checkDataPath(
  registry: EventRegistry,
  source: string,
  type: string,
  path: readonly string[],
): string | null {
  const def = registry.get(source, type);
  if (!def) return null;
  let cur: ZodLike = def.data as unknown as ZodLike;
  for (const [i, seg] of path.entries()) {
    const s = unwrap(cur);
    const d = s._zod?.def;
    if (!d) return null;
    if (d.type === 'object') {
      const shape = d.shape as Record<string, ZodLike>;
      if (!(seg in shape)) {
        const where = i === 0 ? `${source}.${type}` : path.slice(0, i).join('.');
        return `unknown field "${path.slice(0, i + 1).join('.')}" in ${where} (known: ${Object.keys(shape).join(', ')})`;
      }
      cur = shape[seg]!;
    } else if (d.type === 'array') {
      if (!/^\d+$/.test(seg)) {
        // Indexing an array by name: probably meant one of the element fields.
        const element = fieldsOf(d.element as ZodLike);
        return `"${path.slice(0, i).join('.')}" is a list${element ? ` of {${element.join(', ')}}` : ''}`;
      }
      cur = d.element as ZodLike;
    } else if (d.type === 'record') {
      cur = d.valueType as ZodLike;
    } else {
      return null;
    }
  }
  return null;
}
