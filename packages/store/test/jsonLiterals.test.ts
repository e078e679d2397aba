import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type Column,
  createPool,
  extendedQuery,
  JsonLiterals,
  type Pool,
  simpleQuery,
  sqlIds,
  sqlKeys,
  sqlLiteral,
  unnestRows,
} from '../src/index.ts';

describe('simpleQuery with JsonLiterals', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ url: inject('databaseUrl'), max: 2 });
  });
  afterAll(() => pool.end());

  const awkward = {
    summary: 'client\'s "quoted" \\n back\\slash',
    labels: { a: 'é😀', b: "''", c: '\\\\' },
    n: [1, null, 2.5],
    at: new Date(1_700_000_000_000),
  };

  it('reads back what the text would have had as escaped literals, in several statements', async () => {
    const json = new JsonLiterals();
    const list = [awkward, { x: undefined, f: 1 }, 'plain', 7, null];
    const text = `SELECT ${json.lit(list)}::jsonb AS v; SELECT ${json.lit(awkward)}::jsonb AS v, 'a''b' AS t`;
    const c = await pool.connect();
    const r = (await simpleQuery(c, text, json).finally(() => c.release())) as {
      rows: { v: unknown; t?: string }[];
    }[];
    const [inline] = (await pool.query(`SELECT ${sqlLiteral(JSON.stringify(list))}::jsonb AS v`)).rows as {
      v: unknown;
    }[];
    expect(r[0]!.rows[0]!.v).toEqual(inline!.v);
    expect(r[1]!.rows[0]).toEqual({ v: JSON.parse(JSON.stringify(awkward)), t: "a'b" });
  });

  it('writes texts of two JsonLiterals joined in one query, and a literal larger than the buffer', async () => {
    const a = new JsonLiterals();
    const b = new JsonLiterals();
    const text = `SELECT ${a.lit([{ k: "it's" }, '\\'])}::jsonb AS v; SELECT ${b.lit([])}::jsonb AS v`;
    const c = await pool.connect();
    try {
      const r = (await simpleQuery(c, text, a.merge(b))) as { rows: { v: unknown }[] }[];
      expect(r.map((x) => x.rows[0]!.v)).toEqual([[{ k: "it's" }, '\\'], []]);
      // A buffer larger than the first one (1 MB), grown while it is written.
      const big = Array.from({ length: 5000 }, (_, i) => ({ i, s: `${"'\\".repeat(50)}é${i}` }));
      const json = new JsonLiterals();
      const one = (await simpleQuery(c, `SELECT ${json.lit(big)}::jsonb AS v`, json)) as {
        rows: { v: unknown }[];
      };
      expect(one.rows[0]!.v).toEqual(big);
    } finally {
      c.release();
    }
  });

  it('writes strings as a text[] literal, each as it is (quotes, backslashes, apostrophes, NULL, braces)', async () => {
    const json = new JsonLiterals();
    // (Each list as JSON.stringify writes it, but for the control characters and surrogates: one at a time.)
    const plain = [
      'plain',
      'NULL',
      null,
      '',
      ' sp ',
      'a,b{c}',
      'it\'s "q" \\ \\\\ é',
      JSON.stringify(awkward),
    ];
    const texts = [...plain, 'line\nbreak\t\u0001', '😀'];
    const text = `SELECT ${json.strings(() => texts)}::text[] AS t, ${json.strings(() => [])}::text[] AS e,
      ${json.strings(() => plain)}::text[] AS p,
      (${json.strings(() => [JSON.stringify(awkward)])}::json[])[1] AS j`;
    const c = await pool.connect();
    try {
      const r = (await simpleQuery(c, text, json)) as {
        rows: { t: string[]; e: string[]; p: string[]; j: unknown }[];
      };
      expect(r.rows[0]).toEqual({ t: texts, e: [], p: plain, j: JSON.parse(JSON.stringify(awkward)) });
    } finally {
      c.release();
    }
  });

  it('reads rows back from unnestRows as json_to_recordset reads them from their JSON', async () => {
    type Row = { t: string | null; n?: number | null; f: number; b: boolean; j: unknown };
    const rows: Row[] = [
      { t: 'it\'s "q" \\ é', n: 1_796_519_612_349, f: 0.8515211640211641, b: true, j: awkward },
      { t: null, n: null, f: Number.NaN, b: false, j: null },
      { t: '{NULL}', f: -1e-7, b: true, j: [1, 'x'] },
    ];
    const columns: Column<Row>[] = [
      ['t', 'text', (r) => r.t],
      ['n', 'bigint', (r) => r.n],
      ['f', 'float8', (r) => r.f],
      ['b', 'boolean', (r) => r.b],
      ['j', 'jsonb', (r) => r.j],
    ];
    const types = columns.map(([name, type]) => `${name} ${type}`).join(', ');
    const json = new JsonLiterals();
    const text = `SELECT x.* FROM ${unnestRows(json, rows, columns)};
      SELECT x.* FROM json_to_recordset(${json.lit(rows)}::json) AS x(${types})`;
    const c = await pool.connect();
    try {
      const [arrays, recordset] = (await simpleQuery(c, text, json)) as { rows: unknown[] }[];
      expect(arrays!.rows).toEqual(recordset!.rows);
      expect(arrays!.rows[1]).toEqual({ t: null, n: null, f: null, b: false, j: null });
    } finally {
      c.release();
    }
  });

  it('writes JSON texts as one JSON list, each as it is (also one holding the tag, and one past the chunk size)', async () => {
    const big = JSON.stringify({ s: `${'\'\\"'.repeat(20_000)}é😀` });
    const texts = [JSON.stringify(awkward), '1', 'null', '"x"', big];
    const tagged = [...texts, JSON.stringify({ t: '$tq$' })];
    const c = await pool.connect();
    try {
      for (const list of [texts, tagged, []]) {
        const json = new JsonLiterals();
        const r = (await simpleQuery(
          c,
          `SELECT x.v::text, x.n FROM json_array_elements(${json.jsonList(() => list)}::json) WITH ORDINALITY AS x(v, n)`,
          json,
        )) as { rows: { v: string; n: string }[] };
        expect(r.rows.map((row) => row.v)).toEqual(list);
        expect(r.rows.map((row) => Number(row.n))).toEqual(list.map((_, i) => i + 1));
      }
    } finally {
      c.release();
    }
  });

  it('writes a value that holds the dollar-quote tag as an E literal instead', async () => {
    const json = new JsonLiterals();
    const tagged = { s: 'it\'s $tq$ \\ "q" $tq', t: '$tq' };
    const texts = ['a', '$tq$', "b'$tq$\\", null, '$tq'];
    const text = `SELECT ${json.lit(tagged)}::jsonb AS v, ${json.lit([tagged, 1])}::jsonb AS l,
      ${json.strings(() => texts)}::text[] AS t, ${json.strings(() => ['$tq'])}::text[] AS e`;
    const c = await pool.connect();
    try {
      const r = (await simpleQuery(c, text, json)) as { rows: unknown[] };
      expect(r.rows[0]).toEqual({ v: tagged, l: [tagged, 1], t: texts, e: ['$tq'] });
    } finally {
      c.release();
    }
  });

  it('writes keys and ids for = ANY(…) as a subquery array, and refuses an id that is not an integer', async () => {
    const keys = ['a', "it's", 'back\\slash', 'é😀'];
    const r = await pool.query(`SELECT ${sqlKeys(keys)} AS k, ${sqlIds([1, 2 ** 40], 'id')} AS i,
      ${sqlKeys([])} AS e, 'b' = ANY(${sqlKeys(['a', 'b'])}) AS found`);
    expect(r.rows[0]).toEqual({ k: keys, i: ['1', String(2 ** 40)], e: [], found: true });
    expect(() => sqlIds([1.5], 'outbox seq')).toThrow(/bad outbox seq 1.5/);
  });

  it('fails the query (and not the connection) on an SQL error, and on a mark without its value', async () => {
    const c = await pool.connect();
    try {
      const json = new JsonLiterals();
      await expect(simpleQuery(c, `SELECT ${json.lit({ a: 1 })}::jsonb ->> nope`, json)).rejects.toThrow(
        /nope/,
      );
      const other = new JsonLiterals();
      expect(() => simpleQuery(c, `SELECT ${other.lit(1)}::jsonb`, json)).toThrow(/no JSON value/);
      const r = (await simpleQuery(c, 'SELECT 1 AS one')) as { rows: { one: number }[] };
      expect(r.rows[0]!.one).toBe(1);
    } finally {
      c.release();
    }
  });
});

describe('extendedQuery with JsonLiterals', () => {
  let pool: Pool;
  beforeAll(() => {
    pool = createPool({ url: inject('databaseUrl'), max: 2 });
  });
  afterAll(() => pool.end());

  it('binds the marks of several statements as parameters, each as it is, in one transaction', async () => {
    const c = await pool.connect();
    try {
      await c.query('CREATE TEMP TABLE ext_probe (k text PRIMARY KEY, v jsonb)');
      const json = new JsonLiterals();
      const keys = ['a', "it's", 'back\\slash "q"', '$tq$', 'é😀', '{braces}'];
      const values = [{ s: 'it\'s $tq$ \\ "q"' }, 1, null, [1, 'x'], { big: 'y'.repeat(70_000) }, 'plain'];
      const k = json.strings(() => keys);
      const r = (await extendedQuery(
        c,
        [
          'BEGIN',
          // A mark used twice is one parameter; marks next to a word stay apart from it.
          `INSERT INTO ext_probe (k, v) SELECT x.k, x.v::jsonb
           FROM ROWS FROM (unnest(${k}::text[]), json_array_elements(${json.jsonList(() => values.map((v) => JSON.stringify(v)))}::json)) AS x(k, v)
           WHERE cardinality(${k}::text[]) = 6 RETURNING k`,
          `SELECT count(*)::int AS n, ${json.lit({ t: '$tq$' })}::jsonb AS t FROM ext_probe`,
          'COMMIT',
        ],
        json,
      )) as { rows: Record<string, unknown>[]; command: string }[];
      expect(r.map((x) => x.command)).toEqual(['BEGIN', 'INSERT', 'SELECT', 'COMMIT']);
      expect(r[1]!.rows.map((row) => row.k)).toEqual(keys);
      expect(r[2]!.rows[0]).toEqual({ n: 6, t: { t: '$tq$' } });
      const back = await c.query('SELECT k, v FROM ext_probe');
      expect(new Map(back.rows.map((row) => [row.k, row.v]))).toEqual(
        new Map(keys.map((key, i) => [key, values[i]])),
      );
      // One statement: one result, as client.query returns it.
      const one = (await extendedQuery(c, ['SELECT 1 AS one'])) as { rows: { one: number }[] };
      expect(one.rows).toEqual([{ one: 1 }]);
    } finally {
      await c.query('DROP TABLE IF EXISTS ext_probe');
      c.release();
    }
  });

  it('binds arrays of strings in the binary format: any text as it is, NULLs, empty arrays, every column type', async () => {
    type Row = { t: string | null; b: number | null; i: number; f: number | null; ok: boolean; j: unknown };
    const rows: Row[] = [
      {
        t: 'it\'s "q" \\ {a,b} NULL $tq$ é😀\n\t',
        b: 9_007_199_254_740_991,
        i: -3,
        f: 2.5,
        ok: true,
        j: { a: [1, '"'] },
      },
      { t: null, b: null, i: 0, f: null, ok: false, j: null },
      { t: 'NULL', b: 1, i: 7, f: -0.125, ok: true, j: 'x\\y' },
    ];
    const columns: Column<Row>[] = [
      ['t', 'text', (r) => r.t],
      ['b', 'bigint', (r) => r.b],
      ['i', 'int', (r) => r.i],
      ['f', 'float8', (r) => r.f],
      ['ok', 'boolean', (r) => r.ok],
      ['j', 'jsonb', (r) => r.j],
    ];
    const json = new JsonLiterals();
    const none = json.strings(() => []);
    const c = await pool.connect();
    try {
      const r = (await extendedQuery(
        c,
        [
          `SELECT x.t, x.b::text AS b, x.i, x.f, x.ok, x.j FROM ${unnestRows(json, rows, columns)}`,
          `SELECT cardinality(${none}::text[]) AS n, ${none}::bigint[] AS e`,
        ],
        json,
      )) as { rows: Record<string, unknown>[] }[];
      expect(r[0]!.rows).toEqual(rows.map((row) => ({ ...row, b: row.b === null ? null : String(row.b) })));
      expect(r[1]!.rows).toEqual([{ n: 0, e: [] }]);
    } finally {
      c.release();
    }
  });

  it('stops at a failing statement (the rest is not run) and keeps the connection', async () => {
    const c = await pool.connect();
    try {
      await c.query('CREATE TEMP TABLE ext_fail (n int)');
      const json = new JsonLiterals();
      const run = extendedQuery(
        c,
        [
          'BEGIN',
          `INSERT INTO ext_fail SELECT unnest(${json.strings(() => ['1', '2'])}::int[])`,
          'SELECT nope FROM ext_fail',
          'INSERT INTO ext_fail VALUES (3)',
          'COMMIT',
        ],
        json,
      );
      await expect(run).rejects.toThrow(/nope/);
      await c.query('ROLLBACK');
      expect((await c.query('SELECT count(*)::int AS n FROM ext_fail')).rows[0]).toEqual({ n: 0 });
      expect(() => extendedQuery(c, [`SELECT ${new JsonLiterals().lit(1)}::jsonb`], json)).toThrow(
        /no JSON value/,
      );
      expect(((await extendedQuery(c, ['SELECT 2 AS two'])) as { rows: unknown[] }).rows).toEqual([
        { two: 2 },
      ]);
    } finally {
      await c.query('DROP TABLE IF EXISTS ext_fail');
      c.release();
    }
  });
});
