/**
 * Rules written before conditions moved to CEL used a language of tocsin's own (`and`/`or`/`not`, `=~`, duration
 * literals like `48h`, `len()`). This rewrites those forms into CEL, only to show the user what to write instead:
 * a rule in the old syntax fails to load with the CEL form in the message. It is never used to run a rule.
 */
import { DURATION_UNIT_PATTERN, DURATION_UNITS } from '@tocsin/runtime';

/** A token with the white space before it, so the rewrite keeps the user's spacing. */
type Tok = { k: 'str' | 'num' | 'id' | 'op' | 'dur'; v: string; ws?: string };

/** `48h` → hours(48); a unit below a second → seconds(…) of a fraction (the CEL functions count seconds). */
const UNITS: Record<string, [string, number]> = Object.fromEntries(
  DURATION_UNITS.map((u) => [u.unit, u.ms < 1000 ? ['seconds', u.ms / 1000] : [u.name, 1]]),
);
const FUNCTIONS: Record<string, string> = { len: 'size' };
const METHODS: Record<string, string> = { lower: 'lowerAscii', upper: 'upperAscii' };

function tokenize(src: string): Tok[] | null {
  const out: Tok[] = [];
  const re = new RegExp(
    String.raw`(\s*)(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?)(${DURATION_UNIT_PATTERN})\b|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|=~|!~|&&|\|\||[-+*/%<>!()[\],.]))`,
    'y',
  );
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) return null;
    i = re.lastIndex;
    const ws = m[1]!;
    if (m[2] !== undefined) out.push({ k: 'str', v: m[2], ws });
    else if (m[3] !== undefined) {
      const [fn, k] = UNITS[m[4]!]!;
      out.push({ k: 'dur', v: `${fn}(${k === 1 ? m[3] : Number(m[3]) * k})`, ws });
    } else if (m[5] !== undefined) out.push({ k: 'num', v: m[5], ws });
    else if (m[6] !== undefined) out.push({ k: 'id', v: m[6], ws });
    else out.push({ k: 'op', v: m[7]!, ws });
  }
  return out;
}

/** The tokens of one operand ending at (or starting at) index i: a path, a literal, a call, a (…) or […] group. */
function operandEnd(toks: Tok[], i: number): number {
  let j = i;
  const group = (open: string, close: string) => {
    let depth = 0;
    for (; j < toks.length; j++) {
      if (toks[j]!.v === open) depth++;
      else if (toks[j]!.v === close && --depth === 0) return;
    }
  };
  if (toks[j]?.v === '(' || toks[j]?.v === '[') group(toks[j]!.v, toks[j]!.v === '(' ? ')' : ']');
  else if (toks[j]?.k === 'id' && toks[j + 1]?.v === '(') {
    j++;
    group('(', ')');
  }
  while (toks[j + 1]?.v === '.' && toks[j + 2]?.k === 'id') j += 2;
  return j;
}
function operandStart(toks: Tok[], i: number): number {
  let j = i;
  const back = (open: string, close: string) => {
    let depth = 0;
    for (; j >= 0; j--) {
      if (toks[j]!.v === close) depth++;
      else if (toks[j]!.v === open && --depth === 0) return;
    }
  };
  if (toks[j]?.v === ')' || toks[j]?.v === ']') {
    back(toks[j]!.v === ')' ? '(' : '[', toks[j]!.v);
    if (toks[j - 1]?.k === 'id') j--;
  }
  while (toks[j - 1]?.v === '.' && toks[j - 2]?.k === 'id') j -= 2;
  return j;
}

const text = (toks: Tok[]) => toks.map((t, i) => (i === 0 ? '' : (t.ws ?? '')) + t.v).join('');
const ws = (t: Tok | undefined) => t?.ws ?? '';

/** The CEL form of an expression in the old syntax, or null when it cannot be read. */
export function celFromLegacy(src: string): string | null {
  const toks = tokenize(src);
  if (!toks) return null;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k !== 'id' && t.k !== 'op') continue;
    if (t.v === 'and') toks[i] = { k: 'op', v: '&&', ws: t.ws };
    else if (t.v === 'or') toks[i] = { k: 'op', v: '||', ws: t.ws };
    else if (t.k === 'id' && t.v in FUNCTIONS && toks[i + 1]?.v === '(')
      toks[i] = { k: 'id', v: FUNCTIONS[t.v]!, ws: t.ws };
    else if (t.k === 'id' && t.v in METHODS && toks[i + 1]?.v === '(') {
      const end = operandEnd(toks, i);
      const inner = text(toks.slice(i + 2, end));
      const target = /^[\w.]+$/.test(inner) ? inner : `(${inner})`;
      toks.splice(i, end - i + 1, { k: 'id', v: `${target}.${METHODS[t.v]}()`, ws: t.ws });
    } else if ((t.v === '=~' || t.v === '!~') && i > 0) {
      const start = operandStart(toks, i - 1);
      const end = operandEnd(toks, i + 1);
      const left = text(toks.slice(start, i));
      const right = text(toks.slice(i + 1, end + 1));
      const call = `${/^[\w.]+$/.test(left) ? left : `(${left})`}.matches(${right})`;
      toks.splice(start, end - start + 1, {
        k: 'id',
        v: t.v === '!~' ? `!${call}` : call,
        ws: ws(toks[start]),
      });
      i = start;
    } else if (t.v === 'not' && toks[i + 1]?.v === 'in' && i > 0) {
      const start = operandStart(toks, i - 1);
      const end = operandEnd(toks, i + 2);
      const inner = `${text(toks.slice(start, i))} in ${text(toks.slice(i + 2, end + 1)).trim()}`;
      toks.splice(start, end - start + 1, { k: 'id', v: `!(${inner})`, ws: ws(toks[start]) });
      i = start;
    } else if (t.v === 'not') {
      toks[i] = { k: 'op', v: '!', ws: t.ws };
      if (toks[i + 1]) toks[i + 1] = { ...toks[i + 1]!, ws: '' };
    }
  }
  return text(toks).trim();
}
