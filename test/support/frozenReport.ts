import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { cosmosIbc } from '@tocsin/events';
import type { ManualClock } from '@tocsin/runtime';
import type { TestEnv } from '@tocsin/testkit';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import { type InProcessAlerter, startAlerter } from './alerter.ts';

/**
 * The chat buttons' end-to-end tests share one notice-like alert: a client seen frozen is reported once and stays
 * until someone resolves it by hand (`manual_resolve`), beside the shipped rules, which resolve on their own.
 */
export const FROZEN_REPORT_RULE = {
  id: 'client-frozen-report',
  match: { source: 'cosmos-ibc', type: 'client_status' },
  condition: { threshold: "status == 'Frozen'" },
  manual_resolve: true,
  severity: 'warning',
  labels: { report: '{{ client_id }}' },
  summary: 'Report: client {{ client_id }} was seen frozen',
};

/** The real alerter in process with the report rule, every notification at once (no grouping waits). */
export const startReportAlerter = (env: TestEnv, clock: ManualClock): Promise<InProcessAlerter> =>
  startAlerter(env, clock, [FROZEN_REPORT_RULE], {
    defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 },
  });

/** Publishes client 07-tendermint-5 of `chain` seen frozen and waits until the alerter applied it; the publisher. */
export async function reportFrozen(
  nc: NatsConnection,
  env: TestEnv,
  clock: ManualClock,
  alerter: InProcessAlerter,
  chain: string,
): Promise<Publisher> {
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'e2e', now: () => clock.now() });
  await publisher.publish(cosmosIbc.clientStatus, {
    chain_id: chain,
    dedup_key: `${chain}:frozen`,
    data: clientStatus('07-tendermint-5', { elapsed: 10, status: 'Frozen' }),
    observed_at: new Date(clock.now()),
  });
  await nc.flush();
  await alerter.settle(nc, 1);
  return publisher;
}
