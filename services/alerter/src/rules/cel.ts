import { Environment } from '@marcbachmann/cel-js';
import { DURATION_UNITS } from '@tocsin/runtime';
import { type CelNode, namePath, shortcut } from './celShortcut.ts';
import { celFromLegacy } from './legacySyntax.ts';
import { ENVELOPE_FIELDS, type Evaluator, type Scope } from './scope.ts';

/**
 * Rule conditions are CEL (the Common Expression Language, https://cel.dev), evaluated by @marcbachmann/cel-js:
 * compiled once when the rules load, evaluated per event.
 *
 *   status == 'Active' && elapsed_ratio >= params.ratio && remaining_s < hours(48)
 *   status in ['Expired', 'Frozen'] || !client_type.matches('^07-')
 *
 * Names: a bare name is a field of the event's data (`elapsed_ratio` = `data.elapsed_ratio`); the envelope's fields
 * (chain_id, instance, source, type, observed_at, dedup_key, id, version), `params`, `data`, `event` and the names a
 * rule binds (e.g. `sub`) are reachable by their own names. A field the event does not carry is null.
 * Numbers: event fields are doubles; integer literals mix with them in comparisons and in + - * / (tocsin's
 * overloads), so `count + 1 > 3` works.
 * tocsin's functions, where seconds and durations meet (event fields are seconds): seconds(n), minutes(n), hours(n),
 * days(n), weeks(n) give seconds; coalesce(a, b) the first that is not null; abs, floor, ceil, round, min, max.
 * An evaluation error (a comparison with null, a missing key) makes the value null: a condition then does not hold,
 * a template hole renders empty. So missing data never fires a rule by accident.
 */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly code = 'expression_invalid';
}

export function isExpressionError(err: unknown): err is ExpressionError {
  return err instanceof ExpressionError;
}

export interface CompiledExpression {
  source: string;
  run: Evaluator;
  /** Paths read from the event's data (for validation against the event schema), e.g. ['client_id']. */
  dataPaths: string[][];
  /** Parameters read (`params.x`). */
  params: string[];
}

export interface CompileOptions {
  /** Names bound by the rule (for_each item, `labels`, `alert`, …), resolved before data fields. */
  vars?: readonly string[];
}

const num = (x: unknown) => (typeof x === 'bigint' ? Number(x) : (x as number));
const arithmetic: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

function environment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  for (const [op, f] of Object.entries(arithmetic)) {
    env.registerOperator(`double ${op} int`, (a: unknown, b: unknown) => f(num(a), num(b)));
    env.registerOperator(`int ${op} double`, (a: unknown, b: unknown) => f(num(a), num(b)));
  }
  // seconds(n) … weeks(n): tocsin's duration units, in seconds (the unit of event fields).
  for (const { name, ms } of DURATION_UNITS.filter((u) => u.ms >= 1000)) {
    const k = ms / 1000;
    env.registerFunction(`${name}(int): double`, (n: unknown) => num(n) * k);
    env.registerFunction(`${name}(double): double`, (n: unknown) => num(n) * k);
  }
  for (const [name, f] of Object.entries({
    abs: Math.abs,
    floor: Math.floor,
    ceil: Math.ceil,
    round: Math.round,
  })) {
    env.registerFunction(`${name}(double): double`, (n: unknown) => f(num(n)));
    env.registerFunction(`${name}(int): double`, (n: unknown) => f(num(n)));
  }
  env.registerFunction('min(dyn, dyn): double', (a: unknown, b: unknown) => Math.min(num(a), num(b)));
  env.registerFunction('max(dyn, dyn): double', (a: unknown, b: unknown) => Math.max(num(a), num(b)));
  env.registerFunction('coalesce(dyn, dyn): dyn', (a: unknown, b: unknown) => a ?? b);
  return env;
}

const env = environment();

/** One name's value in a scope (see the module comment for the order). A field the event does not carry is null. */
type Resolve = (s: Scope) => unknown;

/**
 * Only the names the rule binds (`vars` at compile time) are looked up in the scope's vars: the others go straight to
 * the envelope, params or data (a scope carries no other vars).
 */
function resolverOf(name: string, vars: ReadonlySet<string>): Resolve {
  const field: Resolve = ENVELOPE_FIELDS.has(name)
    ? (s) => s.event[name] ?? null
    : name === 'params'
      ? (s) => s.params
      : name === 'data'
        ? (s) => s.data
        : name === 'event'
          ? (s) => s.event
          : (s) => s.data[name] ?? null;
  if (!vars.has(name)) return field;
  return (s) => {
    const v = s.vars[name];
    return v === undefined ? field(s) : v;
  };
}

/**
 * The activation CEL reads an expression's names from: cel-js takes a Map as the context and asks it `get(name)` for
 * each name when (and only if) the evaluation reaches it, so a name is resolved lazily, on the scope being evaluated,
 * and nothing is allocated per evaluation. One per compiled expression, pointed at the scope for the duration of one
 * evaluation (restored after, so a nested evaluation would not disturb an outer one).
 */
class Activation extends Map<string, unknown> {
  scope: Scope | null = null;
  readonly #resolvers: Map<string, Resolve>;

  constructor(names: readonly string[], vars: ReadonlySet<string>) {
    super();
    this.#resolvers = new Map(names.map((n) => [n, resolverOf(n, vars)]));
  }

  override get(name: string): unknown {
    const r = this.#resolvers.get(name);
    return r === undefined || this.scope === null ? undefined : r(this.scope);
  }
}

/** CEL's integers are BigInt; tocsin's values are numbers. */
function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCel);
  return v;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** Collects the data paths and params an expression reads, for checking them against the event's schema. */
function collect(
  node: CelNode,
  bound: ReadonlySet<string>,
  out: { dataPaths: string[][]; params: Set<string>; roots: Set<string> },
  iters: ReadonlySet<string> = new Set(),
) {
  const path: string[] = [];
  let n: CelNode = node;
  while (n.op === '.' && Array.isArray(n.args)) {
    path.unshift(String(n.args[1]));
    n = n.args[0] as CelNode;
  }
  if (n.op === 'id') {
    const root = String(n.args);
    if (!iters.has(root)) out.roots.add(root);
    if (bound.has(root) || root === 'event' || ENVELOPE_FIELDS.has(root)) return;
    if (root === 'params') {
      if (path[0] !== undefined) out.params.add(path[0]);
    } else if (root === 'data') {
      if (path.length) out.dataPaths.push(path);
    } else out.dataPaths.push([root, ...path]);
    return;
  }
  if (n !== node) return collect(n, bound, out, iters);
  if (n.op === 'rcall' && Array.isArray(n.args) && MACROS.has(String(n.args[0]))) {
    const [, target, macroArgs] = n.args as [string, CelNode, CelNode[]];
    collect(target, bound, out, iters);
    const iter = macroArgs[0]?.op === 'id' ? String(macroArgs[0].args) : undefined;
    const inner = iter ? new Set([...bound, iter]) : bound;
    const innerIters = iter ? new Set([...iters, iter]) : iters;
    for (const a of macroArgs.slice(iter ? 1 : 0)) collect(a, inner, out, innerIters);
    return;
  }
  for (const child of children(n)) collect(child, bound, out, iters);
}

function children(n: CelNode): CelNode[] {
  const out: CelNode[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object' && 'op' in v) out.push(v as CelNode);
  };
  visit(n.args);
  return out;
}

function describe(err: unknown): string {
  const e = err as { summary?: string; message?: string; range?: { start?: number } };
  const at = typeof e.range?.start === 'number' ? ` at position ${e.range.start + 1}` : '';
  return `${(e.summary ?? e.message ?? String(err)).split('\n')[0]}${at}`;
}

/** Parses, type-checks and compiles a CEL expression; throws ExpressionError (with the CEL form of old syntax). */
export function compileExpression(source: string, opts: CompileOptions = {}): CompiledExpression {
  if (typeof source !== 'string' || !source.trim()) throw new ExpressionError('empty expression');
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(source);
    const checked = program.check();
    if (!checked.valid) throw checked.error;
  } catch (err) {
    const cel = celFromLegacy(source);
    if (cel !== null && cel !== source && parses(cel))
      throw new ExpressionError(`rule expressions are CEL now: write ${JSON.stringify(cel)}`);
    throw new ExpressionError(describe(err));
  }
  const acc = { dataPaths: [] as string[][], params: new Set<string>(), roots: new Set<string>() };
  const vars: ReadonlySet<string> = new Set(opts.vars);
  const ast = program.ast as unknown as CelNode;
  collect(ast, vars, acc);
  const path = namePath(ast);
  const activation = new Activation([...acc.roots], vars);
  const evaluate: Evaluator = (scope) => {
    const outer = activation.scope;
    activation.scope = scope;
    try {
      return fromCel(program(activation));
    } catch {
      return null;
    } finally {
      activation.scope = outer;
    }
  };
  // `a` or `a.b.c` (most labels, values and targets) is read directly; a condition decided without the evaluator
  // where it can be (celShortcut.ts): both with CEL's result.
  const run: Evaluator = path
    ? pathReader(path, vars)
    : (shortcut(ast, (name) => (env.hasVariable(name) ? null : resolverOf(name, vars)), evaluate) ??
      evaluate);
  return { source, run, dataPaths: acc.dataPaths, params: [...acc.params] };
}

/** What CEL gives for a path: the value, or null where a key is missing (CEL's error, made null as above). */
function pathReader(path: string[], vars: ReadonlySet<string>): Evaluator {
  const root = resolverOf(path[0]!, vars);
  return (scope) => {
    let v: unknown = root(scope);
    for (let i = 1; i < path.length; i++) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, path[i]!)) return null;
      v = (v as Record<string, unknown>)[path[i]!];
    }
    return v === undefined ? null : v;
  };
}

function parses(source: string): boolean {
  try {
    return env.parse(source).check().valid;
  } catch {
    return false;
  }
}
