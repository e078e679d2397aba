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

import { ExpressionError, FUNCTIONS, type Node, num, Parser, tokenize } from './expression-v1-syntax.ts';

export { ExpressionError } from './expression-v1-syntax.ts';

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
