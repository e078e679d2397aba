// The syntax half of the baseline language (expression-v1.ts): tokens, the parser, the function table.

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
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

export function tokenize(src: string): Token[] {
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

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'path'; root: string; rest: (string | number)[] }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'list'; items: Node[] };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

export class Parser {
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

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const FUNCTIONS: Record<string, (...a: unknown[]) => unknown> = {
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
