import { cpus, loadavg } from 'node:os';
import { type Figure, percentile } from './report.ts';

/** What a steady-rate phase measured: latency from each send to its arrival, ms, and how steady the sending was. */
export interface LatencyRun {
  p50: number;
  p99: number;
  max: number;
  /** Items that arrived / items sent. */
  arrived: number;
  sent: number;
  /** Sends per second achieved over the phase. */
  rate: number;
  /** Most the sender ran behind its schedule, ms (a sender that falls behind hides latency: say so). */
  maxLagMs: number;
}

const TICK_MS = 5;

/**
 * Sends n items at `perSecond`, item i due at start + i/perSecond, checked every 5 ms: each check sends the items
 * due since the last one (`send(from, to)`, to exclusive) and records when (`performance.now()`, the clock the
 * receiver stamps arrivals with). Sends are not awaited one by one (a slow ack must not hold the schedule back); all
 * of them are awaited at the end, and a failed one fails the phase.
 */
export async function atSteadyRate(
  n: number,
  perSecond: number,
  send: (from: number, to: number) => Promise<unknown>,
): Promise<{ sentAt: Float64Array; rate: number; maxLagMs: number }> {
  const sentAt = new Float64Array(n);
  const inFlight: Promise<unknown>[] = [];
  let maxLagMs = 0;
  const start = performance.now();
  let i = 0;
  while (i < n) {
    const now = performance.now();
    const due = Math.min(n, Math.floor(((now - start) * perSecond) / 1000) + 1);
    if (i < due) {
      maxLagMs = Math.max(maxLagMs, now - (start + (i * 1000) / perSecond));
      sentAt.fill(now, i, due);
      inFlight.push(send(i, due));
      i = due;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const rate = n / ((performance.now() - start) / 1000);
  await Promise.all(inFlight);
  return { sentAt, rate, maxLagMs };
}

/** Latency per item (arrival - send), over the items that arrived. */
export function latencyOf(
  sent: { sentAt: Float64Array; rate: number; maxLagMs: number },
  arrivedAt: (i: number) => number | undefined,
): LatencyRun {
  const lat: number[] = [];
  for (let i = 0; i < sent.sentAt.length; i++) {
    const at = arrivedAt(i);
    if (at !== undefined) lat.push(at - sent.sentAt[i]!);
  }
  lat.sort((a, b) => a - b);
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.at(-1) ?? Number.NaN,
    arrived: lat.length,
    sent: sent.sentAt.length,
    rate: sent.rate,
    maxLagMs: sent.maxLagMs,
  };
}

/** p50 and p99 of the steady-rate phase, against Alertmanager's at the same rate when it ran. */
export function latencyFigures(
  t: LatencyRun | undefined,
  am: LatencyRun | undefined,
  alerterPart: LatencyRun | undefined,
  /** The phase: this many alerts at `rate`/s. */
  phase: { n: number; rate: number },
): Figure[] {
  if (!t) return [];
  const how = (l: LatencyRun) =>
    `${l.arrived}/${l.sent} arrived, sent at ${l.rate.toFixed(0)}/s (sender at most ${l.maxLagMs.toFixed(0)} ms behind schedule), max ${l.max.toFixed(0)} ms`;
  const pair = (p: 'p50' | 'p99') => ({
    value: t[p],
    unit: 'ms',
    ...(am ? { baseline: { name: `Alertmanager ${p}, same rate`, value: am[p] }, ratio: t[p] / am[p] } : {}),
  });
  return [
    {
      name: `p50 event → webhook latency at ${phase.rate} events/s`,
      ...pair('p50'),
      note: `ratio = tocsin / Alertmanager (lower is better)${alerterPart ? `. Of which event → notification on the ALERTS stream (the alerter's share): p50 ${alerterPart.p50.toFixed(1)} ms, p99 ${alerterPart.p99.toFixed(1)} ms` : ''}`,
    },
    {
      name: `p99 event → webhook latency at ${phase.rate} events/s`,
      ...pair('p99'),
      target: '< 50 ms',
      met: t.p99 < 50 && t.arrived === t.sent,
      note: `${phase.n} distinct alerts firing, one event each, publish → arrival at the receiver (one clock); tocsin: ${how(t)}${am ? `; Alertmanager (the alerts due every 5 ms in one POST): ${how(am)}` : ''}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
    },
  ];
}
