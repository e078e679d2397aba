import pg from 'pg';

/**
 * JSON inputs of a simple query (statements sent together, no parameters there) that are not put in its text: the
 * text holds a mark for each (`lit`), and `simpleQuery` writes each value's JSON as a string literal (dollar-quoted:
 * nothing escaped) straight into the message it sends, an element of an array at a time. Built into the text
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
   * A mark for an array of strings as a `text[]` literal (`${strings(…)}::text[]`, or `::json[]` for JSON texts):
   * the server takes each element as it is, where `json_to_recordset` parsed a whole list once more to split it.
   * `plain`: no element holds a control character or a lone surrogate (JSON texts, numbers), so none is checked.
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

class JsonList {
  constructor(readonly of: () => readonly string[]) {}
}

class Strings {
  constructor(
    readonly of: () => readonly (string | null)[],
    readonly plain: boolean,
  ) {}
}

/** What JSON.stringify would escape otherwise than an array literal does (`\n` where the literal needs the byte). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const UNPLAIN = /[\u0000-\u001f\ud800-\udfff]/;

/** The tag of dollar-quoted literals: inside `$tq$…$tq$` no character is special. */
const TAG = '$tq$';

/** Elements of an array literal written per JSON.stringify call (no string of a whole column of payloads). */
const SLICE = 64;

/** Text gathered before it is written: one write per this many characters, not one per piece (a call each). */
const CHUNK = 32_768;

/** A piece at least this long is written at once (not held, see Message.put). */
const BIG = 1024;

/** v's texts: an array's elements (JSON each), a Strings' or a JsonList's, or v's JSON. */
function textsOf(v: unknown): readonly (string | null)[] {
  if (v instanceof Strings || v instanceof JsonList) return v.of();
  // (As JSON.stringify writes an array's undefined, function or symbol elements.)
  if (Array.isArray(v)) return v.map((e) => JSON.stringify(e) ?? 'null');
  return [JSON.stringify(v) ?? 'null'];
}

/** The protocol messages being built (a Query, or extended-protocol statements); its buffer is reused. */
class Message {
  buf: Buffer;
  at = 0;
  #held = '';

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Room for `n` more bytes. */
  #room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.at + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** A big-endian integer of `bytes` bytes (2 or 4) at the end, after the text held. */
  int(v: number, bytes: 2 | 4): void {
    this.#flush();
    this.#room(bytes);
    if (bytes === 2) this.buf.writeInt16BE(v, this.at);
    else this.buf.writeInt32BE(v, this.at);
    this.at += bytes;
  }

  /** Starts a length-prefixed part (a protocol message's body, a parameter's value): its length's position. */
  open(): number {
    this.int(0, 4);
    return this.at - 4;
  }

  /** Ends the part opened at `pos`: its length, counted from `pos` (with the length itself, as messages count it). */
  close(pos: number, withLength = true): void {
    this.#flush();
    this.buf.writeInt32BE(this.at - pos - (withLength ? 0 : 4), pos);
  }

  /** A protocol message: its type, its length, then what `body` writes. */
  message(type: string, body: () => void): void {
    this.put(type);
    const at = this.open();
    body();
    this.close(at);
  }

  /** Adds `s` (SQL text, or a literal's text). */
  put(s: string): void {
    if (s.length >= BIG) {
      // Written as it is: held, it would be copied once more as the text held is joined (flattened) to be written.
      this.#flush();
      this.#write(s);
      return;
    }
    this.#held += s;
    if (this.#held.length >= CHUNK) this.#flush();
  }

  /** Writes the text held as UTF-8. */
  #flush(): void {
    const s = this.#held;
    if (!s) return;
    this.#held = '';
    this.#write(s);
  }

  #write(s: string): void {
    // (At most 3 bytes of UTF-8 per UTF-16 unit.)
    this.#room(s.length * 3 + 1);
    this.at += this.buf.write(s, this.at);
  }

  /** Writes text inside a literal: as it is in a dollar-quoted one; in an E'' one, quotes and backslashes doubled. */
  text(s: string, dollar: boolean): void {
    if (!dollar) {
      if (s.includes("'")) s = s.replaceAll("'", "''");
      if (s.includes('\\')) s = s.replaceAll('\\', '\\\\');
    }
    this.put(s);
  }

  /** An array literal's element, quoted (`\` and `"` escaped), inside the literal (see text). */
  element(s: string | null, dollar: boolean): void {
    if (s === null) {
      this.put('NULL');
      return;
    }
    if (s.includes('\\')) s = s.replaceAll('\\', '\\\\');
    if (s.includes('"')) s = s.replaceAll('"', '\\"');
    this.text(`"${s}"`, dollar);
  }

  /**
   * An array literal of strings. JSON.stringify quotes and escapes a string as the literal does (`"` and `\`) unless
   * it holds a control character or a lone surrogate, and writes null as the literal's (case-insensitive) NULL: the
   * elements go a slice at a time through it, one at a time only when one of them is not plain.
   */
  array(values: readonly (string | null)[], plain: boolean, dollar: boolean): void {
    this.put('{');
    if (plain || values.every((s) => s === null || !UNPLAIN.test(s)))
      for (let i = 0; i < values.length; i += SLICE) {
        if (i) this.put(',');
        this.text(JSON.stringify(values.slice(i, i + SLICE)).slice(1, -1), dollar);
      }
    else
      for (let i = 0; i < values.length; i++) {
        if (i) this.put(',');
        this.element(values[i]!, dollar);
      }
    this.put('}');
  }

  /**
   * v's JSON (an array's an element at a time: no string of the whole array) as a string literal: dollar-quoted
   * (`$tq$…$tq$`: nothing inside is escaped, no copy of the text is made) unless some text holds the tag, then as an
   * E'' literal. (The texts are JSON or an array literal: none ends with `$tq`, the tag's part that would meet the
   * closing tag.)
   */
  literal(v: unknown): void {
    const values = textsOf(v);
    const dollar = !values.some((s) => s?.includes(TAG));
    this.put(dollar ? ` ${TAG}` : " E'");
    this.value(v, values, dollar);
    this.put(dollar ? TAG : "'");
  }

  /** v's text (its texts: textsOf), as it is inside a dollar-quoted literal or a parameter (`dollar`), or an E'' one. */
  value(v: unknown, values: readonly (string | null)[], dollar = true): void {
    if (v instanceof Strings) this.array(values, v.plain, dollar);
    else if (Array.isArray(v) || v instanceof JsonList) {
      this.put('[');
      for (let i = 0; i < values.length; i++) {
        if (i) this.put(',');
        this.text(values[i]!, dollar);
      }
      this.put(']');
    } else this.text(values[0]!, dollar);
  }

  /** The messages written. */
  bytes(): Buffer {
    this.#flush();
    return this.buf.subarray(0, this.at);
  }
}

/** Buffers of sent messages, for the next ones (a few: batches overlap on two connections). */
const spare: Buffer[] = [];
const SPARE_MAX = 2;
/** Larger ones are not kept (a rare huge batch does not pin its memory). */
const SPARE_BYTES = 16 << 20;

function encode(text: string, json: JsonLiterals | undefined): Message {
  const m = new Message(spare.pop() ?? Buffer.allocUnsafeSlow(1 << 20));
  const parts = text.split('\0');
  m.message('Q', () => {
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) {
        m.put(parts[i]!);
        continue;
      }
      const id = Number(parts[i]);
      if (!json?.values.has(id)) throw new Error(`no JSON value for mark ${parts[i]} in the query`);
      m.literal(json.values.get(id));
    }
    m.put('\0');
  });
  return m;
}

/** A Query whose message is built already: the rows come back as any simple or extended query's do. */
class Prebuilt extends pg.Query {
  constructor(message: Buffer, callback: (err: Error | undefined, result: unknown) => void) {
    super('(prebuilt)', callback);
    // As pg's own Connection sends a query (a connection that is not writable any more fails it by its 'end').
    this.submit = (connection) => {
      if (connection.stream.writable) connection.stream.write(message);
    };
  }
}

/**
 * Sends `text` as one simple query, its marks (JsonLiterals.lit) replaced by their values' literals; one result, or
 * one per statement when there are several, as `client.query(text)` returns them.
 */
export function simpleQuery(
  c: pg.ClientBase,
  text: string,
  json?: JsonLiterals,
): Promise<pg.QueryResult | pg.QueryResult[]> {
  const m = encode(text, json);
  return send(c, m, m.bytes());
}

/**
 * Sends `statements` in one round trip through the extended protocol: each parsed (unnamed), bound to its marks'
 * values as parameters and executed, then one Sync; results as simpleQuery's. The values are written into the
 * message as they are (a parameter is never lexed as SQL), where a literal of megabytes cost the server its lexing
 * and a copy in each parse tree it went through: a batch's final write (~2.6 MB of literals for 830 new alerts) took
 * ~130 ms as literals and ~90 ms as parameters. A statement that fails ends the round trip (the server skips the
 * rest up to the Sync), as in a simple query.
 */
export function extendedQuery(
  c: pg.ClientBase,
  statements: readonly string[],
  json?: JsonLiterals,
): Promise<pg.QueryResult | pg.QueryResult[]> {
  const m = new Message(spare.pop() ?? Buffer.allocUnsafeSlow(1 << 20));
  for (const statement of statements) {
    const { sql, values } = parameterized(statement, json);
    // Parse (the unnamed statement; the parameters' types from their casts), then Bind (all in text), Describe (the
    // rows' description, which the result needs), Execute.
    m.message('P', () => {
      m.put(`\0${sql}\0`);
      m.int(0, 2);
    });
    m.message('B', () => {
      m.put('\0\0');
      m.int(0, 2);
      m.int(values.length, 2);
      for (const v of values) {
        const p = m.open();
        m.value(v, textsOf(v));
        m.close(p, false);
      }
      m.int(0, 2);
    });
    m.message('D', () => m.put('P\0'));
    m.message('E', () => {
      m.put('\0');
      m.int(0, 4);
    });
  }
  m.message('S', () => undefined);
  return send(c, m, m.bytes());
}

/** `text` with its marks as parameters ($1, $2, … in the order first met), and their values. */
function parameterized(text: string, json: JsonLiterals | undefined): { sql: string; values: unknown[] } {
  const parts = text.split('\0');
  const numbers = new Map<string, string>();
  const values: unknown[] = [];
  let sql = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const id = parts[i]!;
    let n = numbers.get(id);
    if (n === undefined) {
      if (!json?.values.has(Number(id))) throw new Error(`no JSON value for mark ${id} in the query`);
      values.push(json.values.get(Number(id)));
      n = ` $${values.length}`;
      numbers.set(id, n);
    }
    // (A space first, as before a literal: `x$1` would be an identifier.)
    sql += n + parts[i + 1]!;
  }
  return { sql, values };
}

/** Sends a built message as a query; settles with its results. */
function send(c: pg.ClientBase, m: Message, message: Buffer): Promise<pg.QueryResult | pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, result: unknown) => {
      if (err) return reject(err);
      // The server answered: the whole message was written, its buffer can take the next one. (Not after an
      // error: the connection may have died with it still queued.)
      if (spare.length < SPARE_MAX && m.buf.length <= SPARE_BYTES) spare.push(m.buf);
      resolve(result as pg.QueryResult | pg.QueryResult[]);
    };
    c.query(new Prebuilt(message, done));
  });
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
 * `unnest(…)::type[], …) AS alias(names)`: `rows` as one array literal per column (marks of `json`), for
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
