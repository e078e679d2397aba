import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression, isExpressionError } from '../src/rules/cel.ts';
import type { Scope } from '../src/rules/scope.ts';

// Conditions of comparisons joined by && and || are decided without CEL's evaluator where they can be
// (src/rules/celShortcut.ts). The value must be CEL's, for any condition and any data: compared here with the same
// condition as `true ? (…) : false`, which CEL evaluates to the same value (or error) but which the shortcut leaves
// to CEL.
const operands = [
  'a',
  'b',
  'a.x',
  's.t.u',
  'params.p',
  'sub.v',
  'event.chain_id',
  'chain_id',
  "'A'",
  "''",
  '1',
  '0',
  '1.5',
  '-2',
  'null',
  'true',
  '9007199254740993',
  'hours(1)',
  'size(xs)',
  'int',
  'null_type',
];
const ops = ['==', '!=', '<', '<=', '>', '>='];
const values: unknown[] = [
  null,
  'A',
  'B',
  '',
  'é',
  'ｚ',
  '𝒜',
  0,
  -0,
  1,
  1.5,
  -2,
  3600,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  [1],
  {},
  { x: 'A' },
  { x: null },
  { t: { u: 1 } },
  { t: { u: 'A' } },
  { t: [] },
  new Map([['x', 'A']]),
  2n,
];

const comparison = fc
  .tuple(fc.constantFrom(...operands), fc.constantFrom(...ops), fc.constantFrom(...operands))
  .map(([l, op, r]) => `${l} ${op} ${r}`);
const clause = fc.oneof(comparison, comparison, fc.constantFrom('a', 'flag', '!flag', "a in ['A']"));
const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    clause,
    fc.tuple(tie('c'), fc.constantFrom('&&', '||'), tie('c')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
  ),
})).c;
const data = fc.record(
  {
    a: fc.constantFrom(...values),
    b: fc.constantFrom(...values),
    s: fc.constantFrom(...values),
    flag: fc.constantFrom(...values),
    xs: fc.constantFrom(...values),
  },
  { requiredKeys: [] },
);

function compiled(src: string) {
  try {
    return compileExpression(src, { vars: ['sub'] });
  } catch (err) {
    if (isExpressionError(err)) return null; // e.g. 'A' < 1: refused by the type check, the same for both
    throw err;
  }
}

describe('conditions decided without the evaluator', () => {
  it('have the value CEL gives, for any comparisons joined by && and ||, on any data', () => {
    fc.assert(
      fc.property(condition, data, fc.constantFrom(...values), fc.constantFrom(...values), (src, d, p, v) => {
        // A bare path (`a`) is read by its own shortcut, older than this one (rules.test.ts).
        if (/^[a-z.]+$/.test(src)) return;
        const fast = compiled(src);
        const cel = compiled(`true ? (${src}) : false`);
        expect(fast === null).toBe(cel === null);
        if (!fast || !cel) return;
        const scope: Scope = {
          event: { source: 'cosmos-ibc', type: 'client_status', chain_id: 'cosmoshub-4' },
          data: d as Record<string, unknown>,
          params: { p },
          vars: v === null ? {} : { sub: { v } },
        };
        expect(fast.run(scope), `${src} on ${inspect(d)}`).toStrictEqual(cel.run(scope));
      }),
      { numRuns: 5000 },
    );
  });

  it("decide the default rules' shapes", () => {
    const c = compileExpression(
      "status == 'Active' && elapsed_ratio >= params.p && (params.off == null || remaining_s < params.off)",
    );
    const at = (data: Record<string, unknown>, params: Record<string, unknown> = { p: 0.8, off: null }) =>
      c.run({ event: {}, data, params, vars: {} });
    expect(at({ status: 'Active', elapsed_ratio: 0.9, remaining_s: 5 })).toBe(true);
    expect(at({ status: 'Active', elapsed_ratio: 0.5, remaining_s: 5 })).toBe(false);
    expect(at({ status: 'Expired', elapsed_ratio: 0.9 })).toBe(false);
    expect(at({ status: 'Active', elapsed_ratio: 0.9, remaining_s: 5 }, { p: 0.8, off: 3 })).toBe(false);
    expect(at({ status: 'Active', elapsed_ratio: 0.9, remaining_s: 1 }, { p: 0.8, off: 3 })).toBe(true);
    // A missing field is null: the comparison is an error in CEL, the condition null (does not hold).
    expect(at({ status: 'Active', remaining_s: 5 })).toBe(null);
  });
});
