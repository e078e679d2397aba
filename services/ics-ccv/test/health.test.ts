import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

const scenario = {
  chain_id: 'provider-1',
  block_time_s: 5,
  ccv_channel_delay_s: null, // the relayer never opens the CCV channel
  validators: [{ moniker: 'alice', tokens: '400000000' }],
  consumers: [{ chain_id: 'consumer-1', phase: 'INITIALIZED' as const, spawn_in_s: 10, opted_in: ['alice'] }],
  timeline: [{ at_s: 200, actions: [{ action: 'halt_consumer' as const, consumer_id: '0' }] }],
};

describe('consumer health of a launched consumer with a configured RPC', () => {
  let stack: Stack;
  const health = () =>
    stack.ics('consumer_health').map((e) => {
      const d = e.data as Record<string, unknown>;
      return `${d.stalled ? 'stalled' : 'producing'} ${d.ccv_channel_open ? 'open' : 'no-channel'}${d.ccv_channel_missing ? ' missing' : ''}`;
    });
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-health',
      scenario,
      section: (sim) => ({
        poll_interval: '24h',
        consumers: [{ chain_id: 'consumer-1', rpc: sim.consumerRpcUrl('consumer-1') }],
        stall_after: '60s',
        ccv_channel_within: '2m',
      }),
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('reports block production, the missing CCV channel and a stall, each when it changes', async () => {
    await stack.step(15, 0); // launched at t = 10 s
    await stack.step(60, 0);
    expect(health()).toEqual(['producing no-channel']);
    await stack.step(140, 0); // 130 s after spawn: past ccv_channel_within
    expect(health()).toEqual(['producing no-channel', 'producing no-channel missing']);
    await stack.step(240, 0); // halted at 200 s: 40 s without a block, not yet stalled
    await stack.step(265, 0); // 65 s
    expect(health()).toEqual([
      'producing no-channel',
      'producing no-channel missing',
      'stalled no-channel missing',
    ]);
    const last = stack.ics('consumer_health').at(-1)!.data as Record<string, unknown>;
    expect(last).toMatchObject({ consumer_chain_id: 'consumer-1', height: 39, error: null });
    expect(last.block_age_s).toBe(65);
  });
});

describe('validator-set changes of a launched consumer', () => {
  let stack: Stack;
  const valset = () =>
    stack.ics('consumer_health').map((e) => {
      const d = e.data as Record<string, unknown>;
      return `${d.valset_in_sync ? 'in-sync' : 'out-of-sync'}${d.valset_stale ? ' stale' : ''} ${d.valset_out_of_sync_s ?? '-'}`;
    });
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-valset',
      scenario: {
        chain_id: 'provider-1',
        block_time_s: 5,
        ccv_channel_delay_s: 0,
        validators: [
          { moniker: 'alice', tokens: '400000000' },
          { moniker: 'bob', tokens: '300000000' },
        ],
        consumers: [{ chain_id: 'consumer-1', phase: 'INITIALIZED', spawn_in_s: 10, opted_in: ['alice'] }],
        timeline: [
          // The relayer stops; bob then opts in: the provider sends a VSC packet nobody relays.
          { at_s: 30, actions: [{ action: 'set_relayer', running: false }] },
          { at_s: 40, actions: [{ action: 'opt_in', consumer_id: '0', validator: 'bob' }] },
          { at_s: 200, actions: [{ action: 'set_relayer', running: true }] },
        ],
      },
      section: (sim) => ({
        poll_interval: '24h',
        consumers: [{ chain_id: 'consumer-1', rpc: sim.consumerRpcUrl('consumer-1') }],
        valset_stale_after: '60s',
      }),
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('compares the consumer validators with the provider set and reports a stale one, then its recovery', async () => {
    await stack.step(15, 0); // launched at t = 10 s with alice
    expect(valset()).toEqual(['in-sync -']);
    await stack.step(45, 1); // bob opted in at 40 s; the provider's set changed at the 45 s block, not the consumer's
    await stack.step(100, 1); // 55 s out of sync: not stale yet
    expect(valset()).toEqual(['in-sync -']);
    await stack.step(110, 1); // 65 s
    expect(valset()).toEqual(['in-sync -', 'out-of-sync stale 65']);
    const provider = stack.sim.model.consumer('0').providerValSet.length;
    expect(provider).toBe(2);
    await stack.step(205, 1); // the relayer runs again from 200 s: the 205 s block delivers the packet
    expect(valset()).toEqual(['in-sync -', 'out-of-sync stale 65', 'in-sync -']);
    const last = stack.ics('consumer_health').at(-1)!.data as Record<string, unknown>;
    expect(last).toMatchObject({ stalled: false, ccv_channel_open: true, valset_stale: false, error: null });
  });
});
