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
