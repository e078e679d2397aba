import type { Notification } from '@tocsin/events';
import { alertFixture, notificationFixture } from '@tocsin/testkit';

/** Runs fn(0..n-1) with at most `width` calls in flight (a worker pool: O(1) per call). */
export async function inParallel(
  n: number,
  width: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export const TRUSTING_PERIOD_S = 1_209_600;

/** `cosmos-ibc.client_status` data for client i, `elapsedS` into a 14-day trusting period. */
export function clientStatusData(i: number, elapsedS: number) {
  return {
    client_id: `07-tendermint-${i}`,
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    connection_ids: [`connection-${i}`],
    status: 'Active' as const,
    trusting_period_s: TRUSTING_PERIOD_S,
    latest_height: { revision_number: '1', revision_height: String(1000 + i) },
    last_update: '2026-11-21T12:00:00.000Z',
    elapsed_s: elapsedS,
    elapsed_ratio: elapsedS / TRUSTING_PERIOD_S,
    remaining_s: TRUSTING_PERIOD_S - elapsedS,
    expires_at: '2026-11-28T13:20:00.000Z',
  };
}

/** A firing notification about IBC client i, as the alerter would publish it. */
export function ibcNotification(
  i: number,
  alert: { rule: string; summary: string; description: string; value?: number },
): Notification {
  const now = new Date().toISOString();
  const client = `07-tendermint-${i}`;
  const { rule } = alert;
  return notificationFixture(
    { group: { key: `g${i}`, labels: { rule, chain_id: 'cosmoshub-4' } }, created_at: now },
    [
      alertFixture({
        fingerprint: `fp${i}`,
        rule_id: rule,
        labels: {
          rule,
          source: 'cosmos-ibc',
          chain_id: 'cosmoshub-4',
          severity: 'warning',
          client_id: client,
        },
        summary: alert.summary,
        description: alert.description,
        started_at: now,
        value: alert.value ?? 0.8,
        links: [{ title: 'Mintscan', url: `https://www.mintscan.io/cosmos/ibc/${client}` }],
      }),
    ],
  );
}
