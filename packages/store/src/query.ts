import pg from 'pg';
import { type JsonLiterals, Strings } from './jsonLiterals.ts';
import { Message, textsOf } from './message.ts';

/** The type `text[]` (its pg_type OID): an array of strings bound in the binary format (Message.textArray). */
const TEXT_ARRAY_OID = 1009;

/** Buffers of sent messages, for the next ones (a few: batches overlap on two connections). */
const spare: Buffer[] = [];
const SPARE_MAX = 2;
/** Larger ones are not kept (a rare huge batch does not pin its memory). */
const SPARE_BYTES = 16 << 20;

/** A message to build, in a buffer a sent one left (see send) or a new one. */
function newMessage(): Message {
  return new Message(spare.pop() ?? Buffer.allocUnsafeSlow(1 << 20));
}

/** The value of mark `id` (a text between two NULs of a query with marks, see JsonLiterals.lit). */
function markValue(json: JsonLiterals | undefined, id: string): unknown {
  const n = Number(id);
  if (!json?.values.has(n)) throw new Error(`no JSON value for mark ${id} in the query`);
  return json.values.get(n);
}

function encode(text: string, json: JsonLiterals | undefined): Message {
  const m = newMessage();
  const parts = text.split('\0');
  m.message('Q', () => {
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) {
        m.put(parts[i]!);
        continue;
      }
      m.literal(markValue(json, parts[i]!));
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
  const m = newMessage();
  for (const statement of statements) {
    const { sql, values } = parameterized(statement, json);
    // Parse (the unnamed statement; an array of strings is a text[], in the binary format, which its cast in the
    // statement converts; the other parameters' types from their casts), then Bind (the arrays in binary, the rest
    // in text), Describe (the rows' description, which the result needs), Execute.
    const binary = values.map((v) => v instanceof Strings);
    m.message('P', () => {
      m.put(`\0${sql}\0`);
      m.int(values.length, 2);
      for (const b of binary) m.int(b ? TEXT_ARRAY_OID : 0, 4);
    });
    m.message('B', () => {
      m.put('\0\0');
      m.int(values.length, 2);
      for (const b of binary) m.int(b ? 1 : 0, 2);
      m.int(values.length, 2);
      for (const v of values) {
        const p = m.open();
        if (v instanceof Strings) m.textArray(v.of());
        else m.value(v, textsOf(v));
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
      values.push(markValue(json, id));
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
