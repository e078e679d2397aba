/**
 * The condition language of rules: a small, safe expression language compiled once to closures (no `eval`).
 *
 *   elapsed_ratio >= 0.8 and remaining_s < 48h
 *   status in ['Expired', 'Frozen'] or not (client_type =~ '^07-')
 *
 * Literals: numbers, durations (`90s`, `48h`, `2d`: a number of seconds, since event fields are seconds),
 * strings ('…' or "…"), true, false, null, lists [a, b]. Operators: or, and, not (also ||, &&, !), == != < <= >
 * >= in, not in, =~ !~ (regular expressions), + - * / %. Functions: abs min max floor ceil round len lower upper
 * coalesce contains. A bare name is a field of the event's data (`elapsed_ratio` = `data.elapsed_ratio`); the
 * envelope's fields (chain_id, instance, source, type, observed_at, dedup_key) and `params`, plus the names a
 * rule binds (e.g. `sub`), are reachable by their own names. Comparisons involving null are false (except
 * == and !=) and arithmetic on null gives null, so a missing field never fires a rule by accident.
 */

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

export const ENVELOPE_FIELDS = [
  'id',
  'source',
  'type',
  'version',
  'chain_id',
  'instance',
  'observed_at',
  'dedup_key',
] as const;

/** What an expression reads at run time. */
export interface Scope {
  event: Record<string, unknown>;
  data: Record<string, unknown>;
  params: Record<string, unknown>;
  vars: Record<string, unknown>;
}

export type Evaluator = (scope: Scope) => unknown;

export interface CompiledExpression {
  source: string;
  run: Evaluator;
  /** Paths read from the event's data (for validation against the event schema), e.g. ['client_id']. */
  dataPaths: string[][];
  /** Parameters read (`params.x`). */
  params: string[];
}

export interface CompileOptions {
  /** Names bound by the rule (for_each item, `labels`, `value`, …), resolved before data fields. */
  vars?: readonly string[];
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

type Token =
  | { t: 'num'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'id'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number };

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '!',
];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?(?![A-Za-z0-9_])/.exec(src.slice(i));
      if (!m) throw new ExpressionError(`bad number at position ${i + 1}`);
      const n = Number(m[1]);
      out.push({ t: 'num', v: m[2] ? n * DURATION_UNITS[m[2]]! : n, pos: i });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          s += src[j + 1];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExpressionError(`unterminated string at position ${i + 1}`);
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected "${c}" at position ${i + 1}`);
    out.push({ t: 'op', v: op, pos: i });
    i += op.length;
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'path'; root: string; rest: (string | number)[] }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'list'; items: Node[] };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t.t === 'id' && t.v === v;
  }
  private expect(v: string): void {
    const t = this.next();
    if (!(t.t === 'op' && t.v === v)) throw new ExpressionError(`expected "${v}" at position ${t.pos + 1}`);
  }

  parse(): Node {
    const n = this.or();
    const t = this.peek();
    if (t.t !== 'end') throw new ExpressionError(`unexpected ${describe(t)} at position ${t.pos + 1}`);
    return n;
  }
  private or(): Node {
    let a = this.and();
    while (this.isWord('or') || this.isOp('||')) {
      this.next();
      a = { k: 'bin', op: 'or', a, b: this.and() };
    }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.isWord('and') || this.isOp('&&')) {
      this.next();
      a = { k: 'bin', op: 'and', a, b: this.not() };
    }
    return a;
  }
  private not(): Node {
    if (this.isWord('not') || this.isOp('!')) {
      this.next();
      return { k: 'un', op: 'not', a: this.not() };
    }
    return this.cmp();
  }
  private cmp(): Node {
    const a = this.add();
    const t = this.peek();
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', '=~', '!~'].includes(t.v)) {
      this.next();
      return { k: 'bin', op: t.v, a, b: this.add() };
    }
    if (this.isWord('in')) {
      this.next();
      return { k: 'bin', op: 'in', a, b: this.add() };
    }
    const after = this.toks[this.i + 1];
    if (this.isWord('not') && after?.t === 'id' && after.v === 'in') {
      this.i += 2;
      return { k: 'un', op: 'not', a: { k: 'bin', op: 'in', a, b: this.add() } };
    }
    return a;
  }
  private add(): Node {
    let a = this.mul();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.next() as { v: string }).v;
      a = { k: 'bin', op, a, b: this.mul() };
    }
    return a;
  }
  private mul(): Node {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.next() as { v: string }).v;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }
  private unary(): Node {
    if (this.isOp('-')) {
      this.next();
      return { k: 'un', op: 'neg', a: this.unary() };
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.next();
    if (t.t === 'num' || t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const n = this.or();
      this.expect(')');
      return n;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Node[] = [];
      if (!this.isOp(']')) {
        do items.push(this.or());
        while (this.isOp(',') && this.next());
      }
      this.expect(']');
      return { k: 'list', items };
    }
    if (t.t === 'id') {
      if (t.v === 'true') return { k: 'lit', v: true };
      if (t.v === 'false') return { k: 'lit', v: false };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (KEYWORDS.has(t.v)) throw new ExpressionError(`unexpected "${t.v}" at position ${t.pos + 1}`);
      if (this.isOp('(')) {
        this.next();
        const args: Node[] = [];
        if (!this.isOp(')')) {
          do args.push(this.or());
          while (this.isOp(',') && this.next());
        }
        this.expect(')');
        if (!(t.v in FUNCTIONS)) {
          throw new ExpressionError(
            `unknown function "${t.v}" (known: ${Object.keys(FUNCTIONS).join(', ')})`,
          );
        }
        return { k: 'call', fn: t.v, args };
      }
      const rest: (string | number)[] = [];
      for (;;) {
        if (this.isOp('.')) {
          this.next();
          const f = this.next();
          if (f.t !== 'id') throw new ExpressionError(`expected a field name at position ${f.pos + 1}`);
          rest.push(f.v);
        } else if (this.isOp('[')) {
          this.next();
          const ix = this.next();
          if (ix.t !== 'num' && ix.t !== 'str')
            throw new ExpressionError(`expected an index at position ${ix.pos + 1}`);
          rest.push(ix.v);
          this.expect(']');
        } else break;
      }
      return { k: 'path', root: t.v, rest };
    }
    throw new ExpressionError(`unexpected ${describe(t)} at position ${t.pos + 1}`);
  }
}

function describe(t: Token): string {
  if (t.t === 'end') return 'end of expression';
  return `"${String(t.v)}"`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const FUNCTIONS: Record<string, (...a: unknown[]) => unknown> = {
  abs: (x) => (num(x) === null ? null : Math.abs(x as number)),
  floor: (x) => (num(x) === null ? null : Math.floor(x as number)),
  ceil: (x) => (num(x) === null ? null : Math.ceil(x as number)),
  round: (x) => (num(x) === null ? null : Math.round(x as number)),
  min: (...xs) => {
    const ns = xs.map(num).filter((n): n is number => n !== null);
    return ns.length ? Math.min(...ns) : null;
  },
  max: (...xs) => {
    const ns = xs.map(num).filter((n): n is number => n !== null);
    return ns.length ? Math.max(...ns) : null;
  },
  len: (x) => (typeof x === 'string' || Array.isArray(x) ? x.length : null),
  lower: (x) => (typeof x === 'string' ? x.toLowerCase() : null),
  upper: (x) => (typeof x === 'string' ? x.toUpperCase() : null),
  coalesce: (...xs) => xs.find((x) => x !== null && x !== undefined) ?? null,
  contains: (h, n) =>
    typeof h === 'string' ? typeof n === 'string' && h.includes(n) : Array.isArray(h) ? h.includes(n) : false,
};

const truthy = (v: unknown): boolean => v !== null && v !== undefined && v !== false && v !== 0 && v !== '';

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==') return (a ?? null) === (b ?? null);
  if (op === '!=') return (a ?? null) !== (b ?? null);
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function arithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op === '+' && typeof a === 'string' && (typeof b === 'string' || typeof b === 'number'))
    return a + String(b);
  if (op === '+' && typeof b === 'string' && typeof a === 'number') return String(a) + b;
  const x = num(a);
  const y = num(b);
  if (x === null || y === null) return null;
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y === 0 ? null : x / y;
    default:
      return y === 0 ? null : x % y;
  }
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new ExpressionError(`bad regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function get(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return null;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur === undefined ? null : cur;
}

interface Collected {
  dataPaths: string[][];
  params: string[];
}

function build(n: Node, vars: ReadonlySet<string>, acc: Collected): Evaluator {
  switch (n.k) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'list': {
      const items = n.items.map((i) => build(i, vars, acc));
      return (s) => items.map((f) => f(s));
    }
    case 'path': {
      const { root, rest } = n;
      if (vars.has(root)) return (s) => get(s.vars[root], rest);
      if (root === 'params') {
        if (typeof rest[0] === 'string') acc.params.push(rest[0]);
        return (s) => get(s.params, rest);
      }
      if (root === 'data') {
        acc.dataPaths.push(rest.map(String));
        return rest.length === 1 ? (s) => s.data[rest[0] as string] ?? null : (s) => get(s.data, rest);
      }
      if ((ENVELOPE_FIELDS as readonly string[]).includes(root)) return (s) => get(s.event[root], rest);
      acc.dataPaths.push([root, ...rest.map(String)]);
      return rest.length === 0 ? (s) => s.data[root] ?? null : (s) => get(s.data[root], rest);
    }
    case 'un': {
      const a = build(n.a, vars, acc);
      return n.op === 'not' ? (s) => !truthy(a(s)) : (s) => arithmetic('-', 0, a(s));
    }
    case 'call': {
      const f = FUNCTIONS[n.fn]!;
      const args = n.args.map((x) => build(x, vars, acc));
      return (s) => f(...args.map((g) => g(s)));
    }
    case 'bin': {
      const a = build(n.a, vars, acc);
      const { op } = n;
      if ((op === '=~' || op === '!~') && n.b.k === 'lit' && typeof n.b.v === 'string') {
        const re = regex(n.b.v);
        const want = op === '=~';
        return (s) => {
          const v = a(s);
          return typeof v === 'string' ? re.test(v) === want : false;
        };
      }
      const b = build(n.b, vars, acc);
      switch (op) {
        case 'and':
          return (s) => truthy(a(s)) && truthy(b(s));
        case 'or':
          return (s) => truthy(a(s)) || truthy(b(s));
        case 'in':
          return (s) => {
            const h = b(s);
            const v = a(s);
            if (Array.isArray(h)) return h.includes(v);
            return typeof h === 'string' && typeof v === 'string' ? h.includes(v) : false;
          };
        case '=~':
        case '!~':
          return (s) => {
            const v = a(s);
            const p = b(s);
            if (typeof v !== 'string' || typeof p !== 'string') return false;
            return new RegExp(p).test(v) === (op === '=~');
          };
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return (s) => compare(op, a(s), b(s));
        default:
          return (s) => arithmetic(op, a(s), b(s));
      }
    }
  }
}

/** Parses and compiles an expression; throws ExpressionError naming the position of a syntax error. */
export function compileExpression(source: string, opts: CompileOptions = {}): CompiledExpression {
  if (typeof source !== 'string' || !source.trim()) throw new ExpressionError('empty expression');
  const ast = new Parser(tokenize(source)).parse();
  const acc: Collected = { dataPaths: [], params: [] };
  const run = build(ast, new Set(opts.vars ?? []), acc);
  return { source, run, dataPaths: acc.dataPaths, params: [...new Set(acc.params)] };
}

export function isTruthy(v: unknown): boolean {
  return truthy(v);
}
