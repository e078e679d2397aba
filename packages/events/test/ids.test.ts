import { describe, expect, it } from 'vitest';
import { idTime, newId } from '../src/index.ts';

describe('event ids (ULIDs from pooled randomness)', () => {
  it('are valid ULIDs carrying their time, unique and increasing within a millisecond', () => {
    const t = Date.parse('2026-12-04T20:00:00Z');
    const ids = Array.from({ length: 2_000 }, () => newId(t));
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(idTime(ids[0]!)).toBe(t);
  });

  it('draw fresh random bits in each new millisecond (beyond one pool of 4 KiB)', () => {
    const t = Date.parse('2026-12-04T21:00:00Z');
    // 16 characters a new millisecond: 2,000 ids use the pool about 31 times over.
    const randomParts = Array.from({ length: 2_000 }, (_, i) => newId(t + i).slice(10));
    expect(new Set(randomParts).size).toBe(randomParts.length);
    // Every Crockford character turns up in every position (not a constant or a short cycle).
    for (let pos = 0; pos < 16; pos++) expect(new Set(randomParts.map((r) => r[pos])).size).toBe(32);
  });
});
