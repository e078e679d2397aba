import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import type { Publisher } from '@tocsin/bus';
import { cosmosIbc } from '@tocsin/events';
import { type ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { eventually, type TestEnv } from '@tocsin/testkit';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';

export interface InProcessAlerter {
  running: RunningService;
  handle: AlerterHandle;
  /** Applies every published event and lets the alerter's timers run (`rounds` seconds of the clock). */
  settle(nc: NatsConnection, rounds?: number): Promise<void>;
}

/**
 * The real alerter with its shipped default rules, in this process on the test's clock: no timer of its own
 * (tick_interval 0, the test ticks), no grouping wait, and no `service-silent` (the clock jumps past heartbeats).
 */
export async function startAlerter(
  env: TestEnv,
  clock: ManualClock,
  /** More rule overrides (e.g. `{ id, enabled: false }`). */
  rules: Record<string, unknown>[] = [],
  /** More `alerter:` config (e.g. `maintenance`). */
  extra: Record<string, unknown> = {},
): Promise<InProcessAlerter> {
  let ready: AlerterHandle | undefined;
  const running = await startService(createAlerterService({ onReady: (x) => (ready = x) }), {
    argv: [],
    env: env.env,
    clock,
    config: {
      ...env.config,
      alerter: {
        tick_interval: 0,
        defaults: { group_wait: 0, group_interval: 0 },
        rules: [{ id: 'service-silent', enabled: false }, ...rules],
        ...extra,
      },
    },
  });
  const handle = ready!;
  return {
    running,
    handle,
    async settle(nc, rounds = 4) {
      const jsm = await jetstreamManager(nc);
      await eventually(
        async () => {
          const info = await jsm.consumers.info(env.subjects.streams.events, 'alerter');
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        30_000,
        'the alerter to take every event',
      );
      await handle.idle();
      for (let i = 0; i < rounds; i++) {
        clock.advance(1000);
        await handle.tick();
      }
    },
  };
}

/**
 * Publishes a client_status fact of `chain` at `now`: its client 1.5 h from expiry (the shipped rules fire,
 * critical) or just updated (they resolve); the dedup key is unique per publish.
 */
export async function publishClient(
  publisher: Publisher,
  now: number,
  chain: string,
  expiring: boolean,
  clientId = '07-tendermint-0',
): Promise<void> {
  await publisher.publish(cosmosIbc.clientStatus, {
    chain_id: chain,
    dedup_key: `${chain}:${clientId}:${expiring}:${now}`,
    data: clientStatus(clientId, {
      trusting: 46_800,
      elapsed: expiring ? 41_400 : 10,
      height: expiring ? 100 : 900 + (now % 1000),
    }),
    observed_at: new Date(now),
  });
}
