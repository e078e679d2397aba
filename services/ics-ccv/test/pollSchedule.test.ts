import { describe, expect, it } from 'vitest';
import { pollDelay } from '../src/pollSchedule.ts';

const t = {
  pollIntervalMs: 30_000,
  fastMs: 1_000,
  fastWindowMs: 30_000,
  slowMs: 5_000,
  slowWindowMs: 120_000,
};

describe('adaptive polling around spawn time', () => {
  const spawn = 1_000_000;
  it.each([
    ['no consumer near spawn', [], spawn, 30_000],
    ['10 min before spawn: background', [spawn], spawn - 600_000, 30_000],
    ['12 s before spawn: wakes at spawn', [spawn], spawn - 12_000, 12_000],
    ['at spawn: 1 s', [spawn], spawn, 1_000],
    ['29 s after: 1 s', [spawn], spawn + 29_999, 1_000],
    ['30 s after: 5 s', [spawn], spawn + 30_000, 5_000],
    ['119 s after: 5 s', [spawn], spawn + 119_999, 5_000],
    ['2 min after: background again', [spawn], spawn + 120_000, 30_000],
    ['two consumers: the closest rules', [spawn, spawn + 100_000], spawn + 60_000, 5_000],
  ])('%s', (_name, spawns, now, expected) => {
    expect(pollDelay(now as number, spawns as number[], t)).toBe(expected);
  });
});
