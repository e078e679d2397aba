import { formatSeconds } from '@tocsin/runtime';
import { type CompiledExpression, type CompileOptions, compileExpression, ExpressionError } from './cel.ts';
import type { Scope } from './scope.ts';

/**
 * Summary, description, label and link templates: text with `{{ expression | filter | filter(arg) }}` holes, each
 * expression CEL like the conditions (one expression language for users to learn). Filters: duration (seconds → "2h 52m"), percent (ratio → "80.0%", optional digits), fixed(n), round, upper,
 * lower, default(text), json, ranges (a list of ids → `07-tendermint-0..12, 07-tendermint-20`). A hole whose value is null renders as "" (or the default filter's text).
 */
export interface CompiledTemplate {
  source: string;
  render(scope: Scope): string;
  /** Every expression in the template, for validation. */
  expressions: CompiledExpression[];
  /** True when the template has no holes. */
  constant: boolean;
}

type Filter = (v: unknown, args: unknown[]) => unknown;

const FILTERS: Record<string, Filter> = {
  duration: (v) => (typeof v === 'number' && Number.isFinite(v) ? formatSeconds(v) : v),
  percent: (v, [digits]) =>
    typeof v === 'number' && Number.isFinite(v)
      ? `${(v * 100).toFixed(typeof digits === 'number' ? digits : 1)}%`
      : v,
  fixed: (v, [digits]) =>
    typeof v === 'number' && Number.isFinite(v) ? v.toFixed(typeof digits === 'number' ? digits : 2) : v,
  round: (v) => (typeof v === 'number' ? Math.round(v) : v),
  upper: (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  lower: (v) => (typeof v === 'string' ? v.toLowerCase() : v),
  default: (v, [d]) => (v === null || v === undefined || v === '' ? d : v),
  json: (v) => JSON.stringify(v),
  ranges: (v) => ranges(v),
};

/** `07-tendermint-0, 07-tendermint-1, 07-tendermint-2, 07-tendermint-5` → `07-tendermint-0..2, 07-tendermint-5`. */
function ranges(values: unknown): unknown {
  if (!Array.isArray(values)) return values;
  const byPrefix = new Map<string, number[]>();
  const plain: string[] = [];
  for (const v of values) {
    const m = /^(.*?)(\d+)$/.exec(String(v));
    if (!m) {
      plain.push(String(v));
      continue;
    }
    const l = byPrefix.get(m[1]!);
    if (l) l.push(Number(m[2]));
    else byPrefix.set(m[1]!, [Number(m[2])]);
  }
  const out: string[] = [];
  for (const [prefix, nums] of byPrefix) {
    const sorted = [...new Set(nums)].sort((a, b) => a - b);
    let start = sorted[0]!;
    let prev = start;
    for (const n of [...sorted.slice(1), Number.NaN]) {
      if (n === prev + 1) {
        prev = n;
        continue;
      }
      out.push(start === prev ? `${prefix}${start}` : `${prefix}${start}..${prev}`);
      start = n;
      prev = n;
    }
  }
  return [...out, ...plain].join(', ');
}

function stringify(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Splits on `|` outside quotes and parentheses (`||` is the or operator, not a pipe). */
function splitPipes(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '|' && depth === 0) {
      if (s[i + 1] === '|') {
        cur += '||';
        i++;
        continue;
      }
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

export function compileTemplate(source: string, opts: CompileOptions = {}): CompiledTemplate {
  const pieces: ((s: Scope) => string)[] = [];
  const expressions: CompiledExpression[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      const text = source.slice(i);
      pieces.push(() => text);
      break;
    }
    if (open > i) {
      const text = source.slice(i, open);
      pieces.push(() => text);
    }
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new ExpressionError(`unclosed "{{" at position ${open + 1}`);
    const [exprText, ...filterTexts] = splitPipes(source.slice(open + 2, close));
    const expr = compileExpression(exprText ?? '', opts);
    expressions.push(expr);
    const filters = filterTexts.map((f) => {
      const m = /^([a-z_]+)\s*(?:\((.*)\))?$/s.exec(f);
      if (!m) throw new ExpressionError(`bad filter "${f}"`);
      const fn = FILTERS[m[1]!];
      if (!fn)
        throw new ExpressionError(`unknown filter "${m[1]}" (known: ${Object.keys(FILTERS).join(', ')})`);
      const args = m[2]?.trim()
        ? (compileExpression(`[${m[2]}]`).run({ event: {}, data: {}, params: {}, vars: {} }) as unknown[])
        : [];
      return (v: unknown) => fn(v, args);
    });
    pieces.push((s) => {
      let v = expr.run(s);
      for (const f of filters) v = f(v);
      return stringify(v);
    });
    i = close + 2;
  }
  const constant = expressions.length === 0;
  const text = constant ? source : '';
  return {
    source,
    expressions,
    constant,
    render: constant ? () => text : pieces.length === 1 ? pieces[0]! : (s) => renderPieces(pieces, s),
  };
}

function renderPieces(pieces: ((s: Scope) => string)[], s: Scope): string {
  let out = '';
  for (const p of pieces) out += p(s);
  return out;
}
