import { jetstreamManager } from '@nats-io/jetstream';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

const scenario = {
  chain_id: 'provider-1',
  validators: [
    { moniker: 'alice', tokens: '400000000' },
    { moniker: 'bob', tokens: '300000000' },
  ],
  consumers: [
    { chain_id: 'consumer-1', phase: 'INITIALIZED' as const, spawn_in_s: 86_400, opted_in: ['alice'] },
  ],
};

describe('events JetStream does not take', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ name: 'ics-publish-fail', scenario, section: { poll_interval: '24h' } });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('are derived again from the provider state and published once JetStream takes them', async () => {
    const nc = await stack.env.nats();
    const jsm = await jetstreamManager(nc);
    const stream = stack.env.subjects.streams.events;
    const info = await jsm.streams.info(stream);
    await jsm.streams.delete(stream); // every publish now fails: no stream acknowledges it
    const tracker = stack.trackers[0]!;
    stack.sim.apply({ action: 'opt_in', consumer_id: '0', validator: 'bob' });
    await eventually(() => tracker.txHandled === 1, 15_000, 'the opt_in Tx handled');
    await tracker.sync('poll');

    await jsm.streams.add({ ...info.config });
    await tracker.sync('poll');
    const stored = await jsm.streams.getMessage(stream, {
      last_by_subj: `${stack.env.prefix}.events.ics-ccv.opt_in`,
    });
    expect(stored?.json<{ data: Record<string, unknown> }>().data).toMatchObject({
      consumer_id: '0',
      provider_validator_address: stack.sim.validator('bob').consAddress,
      detected_by: 'poll',
    });
    const { rows } = await stack.services[0]!.ctx.pool.query<{ opted_in: string[] }>(
      'SELECT opted_in FROM ics_ccv_consumers WHERE consumer_id = $1',
      ['0'],
    );
    expect(rows[0]!.opted_in).toHaveLength(2);
  });
});
