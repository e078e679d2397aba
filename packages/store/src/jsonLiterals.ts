/**
 * The inputs of a query that are not put in its text: the text holds a mark for each (`lit`), and the query writes
 * each value straight into the message it sends (query.ts): `simpleQuery` as a string literal (dollar-quoted: nothing
 * escaped), `extendedQuery` as a parameter, an element of an array at a time. Built into the text
 * (`sqlLiteral(JSON.stringify(v))`), a batch's megabytes of JSON were strings in V8's large-object space three times
 * over (the JSON, its escaped copy, the statement they were joined into), each alive until the server answered: a
 * major GC every batch or so.
 */
export class JsonLiterals {
  readonly values = new Map<number, unknown>();

  /** A mark for `v`'s JSON as a string literal (what `sqlLiteral(JSON.stringify(v))` would be): `${lit(v)}::jsonb`. */
  lit(v: unknown): string {
    const id = next++;
    this.values.set(id, v);
    return `\0${id}\0`;
  }

  /**
   * A mark for JSON texts (serialized already) as one JSON array, `[t1,t2,…]::json`, for `json_array_elements`: each
   * text written as it is, where a `json[]` literal's elements are escaped (a copy of each) and unescaped again.
   */
  jsonList(of: () => readonly string[]): string {
    const id = next++;
    this.values.set(id, new JsonList(of));
    return `\0${id}\0`;
  }

  /**
   * A mark for an array of strings as a `text[]` (`${strings(…)}::text[]`, or `::json[]` for JSON texts): an array
   * literal in a simple query, a parameter in the binary format in extendedQuery (Message.textArray). The server
   * takes each element as it is, where `json_to_recordset` parsed a whole list once more to split it. `plain`: no
   * element holds a control character or a lone surrogate (JSON texts, numbers), so the literal checks none.
   */
  strings(of: () => readonly (string | null)[], plain = false): string {
    const id = next++;
    this.values.set(id, new Strings(of, plain));
    return `\0${id}\0`;
  }

  /** Takes `other`'s values (texts of both go in one query). */
  merge(other: JsonLiterals | undefined): this {
    if (other) for (const [id, v] of other.values) this.values.set(id, v);
    return this;
  }
}

/** Marks are unique in the process, so the texts of several JsonLiterals can be joined into one query. */
let next = 0;

export class JsonList {
  constructor(readonly of: () => readonly string[]) {}
}

export class Strings {
  constructor(
    readonly of: () => readonly (string | null)[],
    readonly plain: boolean,
  ) {}
}

/** The SQL types a column of `unnestRows` can have. */
export type ColumnType = 'text' | 'bigint' | 'int' | 'float8' | 'boolean' | 'jsonb' | 'json';

/** A column of `unnestRows`: its name, its type and its value in a row (null or undefined: NULL). */
export type Column<T> = readonly [name: string, type: ColumnType, get: (row: T) => unknown];

/** A value as its array element's text (what json_to_recordset made of the value's JSON). */
function elementOf(v: unknown, type: ColumnType): string | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'json':
    case 'jsonb':
      return JSON.stringify(v) ?? null;
    case 'boolean':
      return v ? 't' : 'f';
    case 'text':
      return typeof v === 'string' ? v : JSON.stringify(v);
    default:
      return typeof v === 'number' && !Number.isFinite(v) ? null : String(v);
  }
}

/**
 * `unnest(…)::type[], …) AS alias(names)`: `rows` as one array of strings per column (marks of `json`), for
 * `INSERT … SELECT alias.name …`. The server reads each value with its type's input function; from one JSON list
 * (json_to_recordset) it parsed the list, then every value again (and for `json`, the list once more as the cast).
 */
export function unnestRows<T>(
  json: JsonLiterals,
  rows: readonly T[],
  columns: readonly Column<T>[],
  alias = 'x',
): string {
  const arrays = columns.map(
    ([, type, get]) =>
      `${json.strings(() => rows.map((row) => elementOf(get(row), type)), type !== 'text')}::${type}[]`,
  );
  return `unnest(${arrays.join(', ')}) AS ${alias}(${columns.map(([name]) => name).join(', ')})`;
}
