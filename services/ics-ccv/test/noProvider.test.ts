import { callRpc } from '@tocsin/bus';
import { noProviderScenarioPath } from '@tocsin/sim-ics';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, T0 } from './stack.ts';

describe('a chain without the ICS provider module', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ name: 'ics-noprov', scenario: noProviderScenarioPath, captureLogs: true });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('publishes one provider_unavailable and says so once, then stops asking', async () => {
    await eventually(() => stack.ics('provider_unavailable').length === 1, 15_000, 'provider_unavailable');
    const queries = () =>
      stack.sim.stats().byPath['/interchain_security.ccv.provider.v1.Query/QueryConsumerChains'] ?? 0;
    const asked = queries();
    // Ten background poll intervals later: nothing asked again, nothing logged again.
    for (let i = 1; i <= 10; i++) {
      stack.clock.set(T0 + i * 30_000);
      await stack.trackers[0]!.sync('poll');
    }
    expect(queries()).toBe(asked);
    expect(stack.ics('provider_unavailable')).toHaveLength(1);
    expect(stack.ics('provider_unavailable')[0]!.data).toMatchObject({
      reason: expect.stringMatching(/unknown query path/),
    });
    const lines = stack.logs.filter((l) => String(l.msg).includes('no ICS provider module'));
    expect(lines).toHaveLength(1);
    expect(stack.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('still answers the consumers RPC (available: false) and reports healthy', async () => {
    const nc = await stack.env.nats();
    const reply = await callRpc(nc, stack.env.subjects.rpc('ics-ccv', 'consumers'), {}, 5_000);
    expect(reply).toMatchObject({ provider_chain_id: 'cosmoshub-4', available: false, consumers: [] });
    const url = stack.services[0]!.url;
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
  });
});
