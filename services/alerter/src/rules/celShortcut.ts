import type { Evaluator, Scope } from './scope.ts';

/**
 * Most rule conditions are comparisons of event fields with literals or params, joined by && and ||:
 *
 *   status == 'Active' && elapsed_ratio >= params.ibc_expiry_warning_ratio
 *   projected_empty_s != null && projected_empty_s < params.wallet_empty_within
 *
 * Where CEL's comparison is JavaScript's, such a condition is decided here, without CEL's evaluator: two numbers
 * (CEL compares ints and doubles by value), two strings compared with == or != (ordering is left to CEL: it orders by
 * code point, JavaScript by UTF-16 unit), a value compared with null (only null equals null). An operand of any other
 * kind (a missing key, a list, a bool, mixed kinds…), or another kind of clause, is left undecided, and so is the
 * whole condition unless its && or || is settled by the clauses that are decided: CEL's && and || are commutative
 * (false && error is false, true || error is true), so one false clause makes an && false, one true clause an ||
 * true. An undecided condition is evaluated by CEL. So the value is always CEL's (test/celShortcut.test.ts checks it).
 */
export interface CelNode {
  op: string;
  args: unknown;
}

/** Returns true or false, or undefined when the condition is left to CEL. */
type Decide = (s: Scope) => boolean | undefined;
/** A path's value as CEL reads it, undefined where CEL would fail (a missing key, a field of a non-map). */
type Read = (s: Scope) => unknown;
type Root = (name: string) => Read | null;

/** `a` or `a.b.c`, or null. */
export function namePath(node: CelNode): string[] | null {
  const path: string[] = [];
  let n = node;
  while (n.op === '.' && Array.isArray(n.args)) {
    path.unshift(String(n.args[1]));
    n = n.args[0] as CelNode;
  }
  if (n.op !== 'id') return null;
  path.unshift(String(n.args));
  return path;
}

/**
 * The condition decided without CEL where it can be, else `evaluate` (CEL); null when no part of it can be.
 * `root(name)` reads a name as the CEL evaluation does, or is null for a name CEL defines itself (`int`, `string`…).
 */
export function shortcut(node: CelNode, root: Root, evaluate: Evaluator): Evaluator | null {
  const decide = decider(node, root);
  if (!decide) return null;
  return (s) => {
    const d = decide(s);
    return d === undefined ? evaluate(s) : d;
  };
}

function decider(node: CelNode, root: Root): Decide | null {
  if (node.op === '&&' || node.op === '||') return logical(node, root);
  return comparison(node, root);
}

/** The clauses of a chain of one operator: `a && (b && c)` → [a, b, c]. */
function clauses(node: CelNode, op: string): CelNode[] {
  if (node.op !== op || !Array.isArray(node.args)) return [node];
  return (node.args as CelNode[]).flatMap((a) => clauses(a, op));
}

function logical(node: CelNode, root: Root): Decide | null {
  const all = clauses(node, node.op).map((c) => decider(c, root));
  const known = all.filter((d): d is Decide => d !== null);
  if (known.length === 0) return null;
  // && is settled by a false clause, || by a true one; either is the other value only when every clause is decided.
  const settles = node.op === '||';
  const complete = known.length === all.length;
  return (s) => {
    let undecided = !complete;
    for (const d of known) {
      const v = d(s);
      if (v === settles) return settles;
      if (v === undefined) undecided = true;
    }
    return undecided ? undefined : !settles;
  };
}

const COMPARE: Record<string, (a: never, b: never) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function comparison(node: CelNode, root: Root): Decide | null {
  const compare = COMPARE[node.op] as ((a: unknown, b: unknown) => boolean) | undefined;
  if (!compare || !Array.isArray(node.args) || node.args.length !== 2) return null;
  const [left, right] = (node.args as CelNode[]).map((n) => operand(n, root));
  if (!left || !right) return null;
  const equality = node.op === '==' || node.op === '!=';
  return (s) => {
    const a = left(s);
    const b = right(s);
    if (typeof a === 'number' && typeof b === 'number') return compare(a, b);
    if (!equality || a === undefined || b === undefined) return undefined;
    if (typeof a === 'string' && typeof b === 'string') return compare(a, b);
    if ((a === null && known(b)) || (b === null && known(a))) return compare(a, b);
    return undefined;
  };
}

/** A literal (a string, a number, an int that is exact as a number, null) or a path; null for anything else. */
function operand(node: CelNode, root: Root): Read | null {
  if (node.op === 'value') {
    const v = node.args;
    if (typeof v === 'bigint') {
      const n = Number(v);
      return Number.isSafeInteger(n) ? () => n : null;
    }
    return typeof v === 'string' || typeof v === 'number' || v === null ? () => v : null;
  }
  const path = namePath(node);
  if (!path) return null;
  const read = root(path[0]!);
  if (!read || path.length === 1) return read;
  const keys = path.slice(1);
  return (s) => {
    let v = read(s);
    for (const k of keys) v = field(v, k);
    return v;
  };
}

/** A value of a kind CEL knows for certain (not a class instance it may refuse): it is null only if it is null. */
function known(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol';
  const c = (v as { constructor?: unknown }).constructor;
  return c === Object || c === undefined || Array.isArray(v);
}

/** A field as CEL reads it from a map (a plain object), undefined where CEL fails. */
function field(v: unknown, key: string): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  const c = (v as { constructor?: unknown }).constructor;
  if (c !== Object && c !== undefined) return undefined;
  return Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
}
