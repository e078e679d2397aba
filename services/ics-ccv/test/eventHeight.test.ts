import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, T0 } from './stack.ts';

const validators = [
  { moniker: 'alice', tokens: '400000000' },
  { moniker: 'bob', tokens: '300000000' },
  { moniker: 'carol', tokens: '200000000' },
  { moniker: 'dave', tokens: '100000000' },
];

describe('validator_selection at the height of the event', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-sel-height',
      scenario: {
        chain_id: 'provider-1',
        block_time_s: 5,
        start_height: 1000,
        validators,
        timeline: [
          { at_s: 10, actions: [{ action: 'create_consumer', chain_id: 'consumer-1', spawn_in_s: 300 }] },
          // Delegations move after the Tx, before the ingestor reads the provider.
          { at_s: 20, actions: [{ action: 'set_tokens', validator: 'carol', tokens: '900000000' }] },
        ],
      },
      section: (sim) => ({ poll_interval: '24h', our_validator: sim.validator('dave').operatorAddress }),
    });
    // One catch-up delivers the create_consumer Tx (height 1002) after carol's tokens changed (height 1004).
    await stack.step(25, 1);
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('takes the bonded validators at the Tx height, and the latest ones for a poll', () => {
    const name = (addr: unknown) =>
      validators.find((v) => stack.sim.validator(v.moniker).operatorAddress === addr)?.moniker;
    const selections = stack.ics('validator_selection').map((e) => {
      const d = e.data as { height: number; total_tokens: string; selected: { operator_address: string }[] };
      return {
        height: d.height,
        total: d.total_tokens,
        selected: d.selected.map((s) => name(s.operator_address)),
      };
    });
    expect(selections).toEqual([
      // At 1002: 400 + 300 of 1000 reach 66%.
      { height: 1002, total: '1000000000', selected: ['alice', 'bob'] },
      // The poll at 1005 reads carol's 900: 900 + 400 of 1700.
      { height: 1005, total: '1700000000', selected: ['carol', 'alice'] },
    ]);
  });
});

describe('an opt-in only polling found, on two instances polling at different heights', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-poll-key',
      instances: 2,
      scenario: {
        chain_id: 'provider-1',
        block_time_s: 5,
        start_height: 1000,
        validators,
        consumers: [{ chain_id: 'consumer-1', phase: 'INITIALIZED', spawn_in_s: 600 }],
        timeline: [{ at_s: 20, actions: [{ action: 'opt_in', consumer_id: '0', validator: 'alice' }] }],
      },
      // No websocket: the opt-in is found by polling only.
      section: { poll_interval: '24h', auto_start: false },
    });
    await stack.step(5, 0);
    const pollOne = async (i: number, atS: number) => {
      stack.clock.set(T0 + atS * 1000);
      stack.sim.tick();
      await stack.trackers[i]!.sync('poll');
    };
    await pollOne(0, 25); // height 1005
    await pollOne(1, 60); // height 1012
    await eventually(() => stack.ics('opt_in').length === 2, 10_000, 'an opt_in from each instance');
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('gets the same dedup_key on both: the height of its Tx, read from the Tx index', () => {
    const alice = stack.sim.validator('alice').consAddress;
    const optIns = stack.ics('opt_in');
    expect(new Set(optIns.map((e) => e.instance))).toEqual(new Set(['ics-0', 'ics-1']));
    // The key an instance that saw the Tx event gives it (consumer, Tx height 1004, validator).
    expect(optIns.map((e) => e.dedup_key)).toEqual([`0:opt_in:1004:${alice}`, `0:opt_in:1004:${alice}`]);
    for (const e of optIns)
      expect(e.data).toMatchObject({ height: 1004, detected_by: 'poll', provider_validator_address: alice });
  });
});
