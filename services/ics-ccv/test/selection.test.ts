import { describe, expect, it } from 'vitest';
import { selectValidators } from '../src/selection.ts';

const v = (operatorAddress: string, tokens: number) => ({ operatorAddress, tokens: BigInt(tokens) });

describe('validator selection (tokens desc, ties by operator address, until 66 %)', () => {
  // Hand-computed: total 1000. Sorted: a 300, b 200 (tie b<c), c 200, d 100, e 100 (tie d<e), f 100.
  // Cumulative before each: a 0 (<660 take), b 300 (take), c 500 (take), d 700 ≥ 660 stop.
  const table = [
    v('valoper1f', 100),
    v('valoper1c', 200),
    v('valoper1a', 300),
    v('valoper1e', 100),
    v('valoper1b', 200),
    v('valoper1d', 100),
  ];

  it('matches the hand-computed table, ties included', () => {
    const s = selectValidators(table, 0.66);
    expect(s.totalTokens).toBe(1000n);
    expect(s.selected.map((x) => x.operatorAddress)).toEqual(['valoper1a', 'valoper1b', 'valoper1c']);
  });

  it('breaks a tie at the boundary by operator address', () => {
    // total 400: x 200 (0 before, take) then y/z 100 each: y (200 before < 264, take), z (300 ≥ 264 stop).
    const s = selectValidators([v('valoper1z', 100), v('valoper1x', 200), v('valoper1y', 100)], 0.66);
    expect(s.selected.map((x) => x.operatorAddress)).toEqual(['valoper1x', 'valoper1y']);
  });

  it('takes exactly up to the threshold: a validator is not added once 66 % is reached', () => {
    // total 100: a 66 → reaches 66 % exactly, b is not taken.
    const s = selectValidators([v('valoper1b', 34), v('valoper1a', 66)], 0.66);
    expect(s.selected.map((x) => x.operatorAddress)).toEqual(['valoper1a']);
  });

  it('is independent of input order and handles an empty set', () => {
    const shuffled = [...table].reverse();
    expect(selectValidators(shuffled).selected).toEqual(selectValidators(table).selected);
    expect(selectValidators([])).toEqual({ selected: [], totalTokens: 0n });
  });

  it('one validator with all the power is selected alone', () => {
    expect(
      selectValidators([v('valoper1a', 1), v('valoper1b', 1000)]).selected.map((x) => x.operatorAddress),
    ).toEqual(['valoper1b']);
  });
});
