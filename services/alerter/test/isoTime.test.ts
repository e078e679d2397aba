import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/history/isoTime.ts';

describe('isoTime', () => {
  it('equals Date#toISOString', () => {
    const times = [0, 1, 999, 86_399_999, 86_400_000, 951_782_399_999, 951_868_799_999, 1_733_420_000_123];
    // Spread over 1970–9999 (a fixed sequence, so a failure repeats).
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      times.push(Math.floor((x / 2147483648) * 253_402_300_799_999));
    }
    times.push(253_402_300_799_999);
    for (const t of times) expect(isoTime(new Date(t))).toBe(new Date(t).toISOString());
  });

  it('leaves the years before 1970 and after 9999, and invalid dates, to the built-in', () => {
    for (const t of [-1, -86_400_001, 253_402_300_800_000, -62_198_755_200_000])
      expect(isoTime(new Date(t))).toBe(new Date(t).toISOString());
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
