import type { Phase } from '@tocsin/sim-ics';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

const scenario = {
  chain_id: 'provider-1',
  validators: [{ moniker: 'alice', tokens: '400000000' }],
  consumers: [{ chain_id: 'consumer-1', phase: 'INITIALIZED' as const, spawn_in_s: 86_400 }],
};

describe('unknown phases, attributes and consumers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-unknowns',
      scenario,
      section: { poll_interval: '24h' },
      captureLogs: true,
    });
  }, 60_000);
  afterAll(async () => stack?.stop());
  const warnings = (re: RegExp) => stack.logs.filter((l) => re.test(String(l.msg)));

  it('passes an unknown attribute through raw and logs it once', async () => {
    const alice = stack.sim.validator('alice');
    const optIn = (height: string): { type: string; attributes: Record<string, string> }[] => [
      {
        type: 'message',
        attributes: { action: '/interchain_security.ccv.provider.v1.MsgOptIn', sender: alice.accountAddress },
      },
      {
        type: 'opt_in',
        attributes: {
          module: 'provider',
          consumer_id: '0',
          consumer_chain_id: 'consumer-1',
          provider_validator_address: alice.consAddress,
          consumer_consensus_pub_key: '',
          submitter_address: alice.accountAddress,
          future_field: height,
        },
      },
    ];
    stack.sim.emitTx(optIn('a'));
    await eventually(() => stack.ics('opt_in').length === 1, 15_000, 'opt_in');
    expect(stack.ics('opt_in')[0]!.data).toMatchObject({ attributes: { future_field: 'a' }, ours: false });
    stack.sim.emitTx([
      {
        type: 'opt_out',
        attributes: {
          module: 'provider',
          consumer_id: '0',
          provider_validator_address: alice.consAddress,
          future_field: 'b',
        },
      },
    ]);
    await eventually(() => stack.ics('opt_out').length === 1, 15_000, 'opt_out');
    // opt_in.future_field, opt_out.future_field (the captured log stream may trail the published event).
    await eventually(() => warnings(/unknown provider event attribute/).length === 2, 15_000, 'two warnings');
    stack.sim.emitTx([
      {
        type: 'opt_out',
        attributes: {
          module: 'provider',
          consumer_id: '0',
          provider_validator_address: 'x',
          future_field: 'c',
        },
      },
    ]);
    await eventually(() => stack.trackers[0]!.txHandled === 3, 15_000, 'third tx');
    expect(warnings(/unknown provider event attribute/)).toHaveLength(2);
  });

  it('re-syncs on an event about a consumer it does not know', async () => {
    stack.sim.model.consumers.set('9', {
      ...stack.sim.model.consumer('0'),
      consumerId: '9',
      chainId: 'ninth',
      optedIn: [],
      keys: new Map(),
    });
    const syncs = stack.trackers[0]!.syncs;
    stack.sim.emitTx([
      {
        type: 'update_consumer',
        attributes: {
          module: 'provider',
          consumer_id: '9',
          consumer_chain_id: 'ninth',
          consumer_phase: 'CONSUMER_PHASE_INITIALIZED',
        },
      },
    ]);
    await eventually(() => stack.ics('consumer_created').length === 1, 15_000, 'consumer_created');
    // The sync that event triggered found it (background polling is off in this file: 24 h, no spawn near).
    await eventually(() => stack.trackers[0]!.syncs > syncs, 15_000, 'the re-sync to finish');
    expect(stack.ics('consumer_created')[0]!.data).toMatchObject({
      consumer_id: '9',
      consumer_chain_id: 'ninth',
    });
  });

  it('passes an unknown phase through raw, logged once, without crashing', async () => {
    stack.sim.model.consumer('0').phase = 'PAUSED' as Phase;
    await stack.trackers[0]!.sync('poll');
    await stack.trackers[0]!.sync('poll');
    await eventually(() => stack.ics('consumer_phase_changed').length === 1, 15_000, 'phase change');
    expect(stack.ics('consumer_phase_changed')[0]!.data).toMatchObject({
      from: 'INITIALIZED',
      to: 'CONSUMER_PHASE_PAUSED',
    });
    expect(warnings(/unknown consumer phase/)).toHaveLength(1);
  });
});
