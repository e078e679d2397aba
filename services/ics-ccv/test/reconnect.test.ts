import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, T0 } from './stack.ts';

const scenario = {
  chain_id: 'provider-1',
  block_time_s: 5,
  validators: [
    { moniker: 'alice', tokens: '400000000' },
    { moniker: 'bob', tokens: '300000000' },
  ],
  consumers: [{ chain_id: 'consumer-1', phase: 'LAUNCHED' as const, opted_in: ['alice'] }],
};

describe('websocket dropped for 60 s while a phase changes', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Background polling off (24 h) and no spawn time near: only the re-sync after the reconnect can find it.
    stack = await startStack({
      name: 'ics-reconnect',
      scenario,
      section: { poll_interval: '24h' },
      captureLogs: true,
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('reports the change after the websocket is back', async () => {
    const syncsBefore = stack.trackers[0]!.syncs;
    stack.sim.setFault({ kind: 'down' }); // the node goes away, websockets with it
    await eventually(() => stack.sim.subscriberCount() === 0, 15_000, 'websocket dropped');
    stack.clock.set(T0 + 30_000);
    stack.sim.apply({ action: 'remove_consumer', consumer_id: '0' }); // MsgRemoveConsumer: its Tx reaches nobody
    stack.clock.set(T0 + 60_000);
    expect(stack.ics('consumer_removed', 'consumer_phase_changed')).toEqual([]);
    expect(stack.trackers[0]!.syncs).toBe(syncsBefore);

    stack.sim.setFault(null);
    await eventually(
      () => stack.ics('consumer_removed').length === 1,
      20_000,
      'consumer_removed after reconnect',
    );
    expect(stack.sim.subscriberCount()).toBe(2); // Tx and NewBlock subscribed again
    const changed = stack.ics('consumer_phase_changed').map((e) => e.data);
    expect(changed).toEqual([
      expect.objectContaining({ consumer_id: '0', from: 'LAUNCHED', to: 'STOPPED', detected_by: 'poll' }),
    ]);
    // Told once per outage, not once per failed attempt.
    const msgs = stack.logs.map((l) => String(l.msg));
    expect(msgs.filter((m) => m.includes('provider websocket dropped'))).toHaveLength(1);
    expect(msgs.filter((m) => m.includes('provider websocket is back'))).toHaveLength(1);
  }, 60_000);

  it('keeps receiving Tx events on the new connection', async () => {
    stack.sim.apply({ action: 'opt_in', consumer_id: '0', validator: 'bob' });
    await eventually(() => stack.ics('opt_in').length === 1, 15_000, 'opt_in over the new websocket');
    expect(stack.ics('opt_in')[0]!.data).toMatchObject({
      detected_by: 'event',
      provider_validator_address: stack.sim.validator('bob').consAddress,
    });
  });
});
