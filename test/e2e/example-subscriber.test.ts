import { join } from 'node:path';
import type { AlerterHandle } from '@tocsin/alerter';
import type { RunningService } from '@tocsin/runtime';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../../services/cosmos-ibc/test/stack.ts';
import { startAlerter } from '../support/alerter.ts';
import { cleanEnv, type ServiceProcess, spawnService } from '../support/processes.ts';

// examples/subscriber as a user runs it (its own process, only @tocsin/events and the NATS client), against a live
// stack on an isolated prefix: the cosmos-ibc ingestor scanning the CometBFT simulator, and the alerter.
const HUB = 'cosmoshub-4';
const MAIN = join(import.meta.dirname, '..', '..', 'examples', 'subscriber', 'src', 'main.ts');
let s: Stack;
let alerter: RunningService;
let handle: AlerterHandle;
let sub: ServiceProcess;

beforeAll(async () => {
  s = await startStack({
    name: 'example-subscriber',
    scenario: {
      chains: [
        {
          chain_id: HUB,
          denom: 'uatom',
          display_denom: 'ATOM',
          clients: [
            {
              client_id: '07-tendermint-0',
              counterparty_chain_id: 'osmosis-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 60_000,
            },
          ],
          connections: [{ connection_id: 'connection-0', client_id: '07-tendermint-0' }],
        },
      ],
    },
    section: { chains: [{ chain_id: HUB, rpc: [`sim:${HUB}`], denom: 'uatom', display_denom: 'ATOM' }] },
  });
  ({ running: alerter, handle } = await startAlerter(s.env, s.clock));
  sub = spawnService(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...cleanEnv(),
      NATS_URL: s.env.natsUrl,
      TOCSIN_SUBJECT_PREFIX: s.env.prefix,
      SUBSCRIBER_DURABLE: 'example',
    },
  });
});

afterAll(async () => {
  sub?.kill('SIGTERM');
  await sub?.exited;
  await alerter?.stop();
  await s?.stop();
});

it('prints the events the ingestor publishes and the alerts the alerter raises', async () => {
  await s.scan();
  await eventually(
    async () => {
      s.clock.advance(1000);
      await handle.idle();
      await handle.tick();
      const out = sub.output();
      return (
        /^alert firing critical ibc-client-expired cosmoshub-4: IBC client 07-tendermint-0 on cosmoshub-4 has expired$/m.test(
          out,
        ) && /^event cosmos-ibc\.scan_completed v1 cosmoshub-4 /m.test(out)
      );
    },
    60_000,
    'the subscriber to print the alert and the scan',
  );
  expect(sub.output()).toMatch(
    /^event cosmos-ibc\.client_status v1 cosmoshub-4 \S+ \{"client_id":"07-tendermint-0",.*"status":"Expired"/m,
  );
  expect(sub.output()).not.toMatch(/^skipped:/m);
  // It stops cleanly on SIGTERM (its durable consumers stay, so a restart resumes where it stopped).
  sub.kill('SIGTERM');
  expect(await sub.exited).toBe(0);
});
