import { toDisplay } from './displayAmount.ts';

export interface BalanceSample {
  atMs: number;
  amount: bigint;
}

export interface BurnRate {
  /** Display units spent per hour; 0 when the balance is not falling; null with too little history. */
  burnPerHour: number | null;
  projectedEmptyS: number | null;
  projectedEmptyAt: string | null;
}

const HOUR_MS = 3_600_000;

/**
 * The burn rate of a wallet from its balance history: the least-squares slope of the samples within `windowMs`
 * since the last top-up (a relayer wallet is refilled now and then; spending before a refill says nothing
 * about the balance after it). The projection divides the current balance by that rate.
 */
export function burnRate(
  samples: BalanceSample[],
  nowMs: number,
  windowMs: number,
  exponent: number,
): BurnRate {
  const recent = samples
    .filter((s) => s.atMs >= nowMs - windowMs && s.atMs <= nowMs)
    .sort((a, b) => a.atMs - b.atMs);
  let start = recent.length - 1;
  while (start > 0 && recent[start - 1]!.amount >= recent[start]!.amount) start--;
  const run = recent.slice(Math.max(start, 0));
  const unknown: BurnRate = { burnPerHour: null, projectedEmptyS: null, projectedEmptyAt: null };
  if (run.length < 2 || run.at(-1)!.atMs === run[0]!.atMs) return unknown;

  const t0 = run[0]!.atMs;
  const xs = run.map((s) => (s.atMs - t0) / HOUR_MS);
  const ys = run.map((s) => toDisplay(s.amount, exponent));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const burn = den > 0 ? -num / den : 0;
  if (!(burn > 0)) return { burnPerHour: 0, projectedEmptyS: null, projectedEmptyAt: null };
  const current = ys.at(-1)!;
  const projectedEmptyS = (current / burn) * 3600;
  return {
    burnPerHour: burn,
    projectedEmptyS,
    projectedEmptyAt: new Date(nowMs + projectedEmptyS * 1000).toISOString(),
  };
}
