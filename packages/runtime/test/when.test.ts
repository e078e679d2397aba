import { expect, it } from 'vitest';
import { parseWhen } from '../src/index.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');

it('reads a time as itself and a duration as that long before now', () => {
  expect(parseWhen('2026-12-04T10:00:00Z', NOW)).toBe(Date.parse('2026-12-04T10:00:00Z'));
  expect(parseWhen('2026-12-04T12:00:00+02:00', NOW)).toBe(Date.parse('2026-12-04T10:00:00Z'));
  expect(parseWhen('2026-12-01', NOW)).toBe(Date.parse('2026-12-01T00:00:00Z'));
  expect(parseWhen('2h', NOW)).toBe(NOW - 7_200_000);
  expect(parseWhen('1d12h', NOW)).toBe(NOW - 129_600_000);
});

it('refuses anything else, naming both forms', () => {
  for (const bad of ['yesterday', '2026-13-45', '', '5 minutes'])
    expect(() => parseWhen(bad, NOW)).toThrow(/neither a time \(2026-12-04T10:00:00Z\) nor a duration ago/);
});
