import { callRpc } from '@tocsin/bus';
import type { MaintenanceWindow } from '@tocsin/events';
import { ManualClock } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
const replicas: Harness[] = [];
const clock = new ManualClock(Date.parse('2026-03-24T13:05:00Z'));
const config = { defaults: { group_wait: 0, group_interval: 0, priority_wait: 0 } };

beforeAll(async () => {
  env = await testEnv('alerter-maintenance-replicas');
  replicas.push(await startAlerter(env, config, { clock }));
  replicas.push(await startAlerter(env, config, { clock }));
});
afterAll(async () => {
  for (const r of replicas) await r.stop();
  await env.cleanup();
});

it('two replicas close an occurrence once: one summary, and what it held back is notified once', async () => {
  const [a, b] = replicas as [Harness, Harness];
  await callRpc<{ maintenance: MaintenanceWindow }>(a.nc, env.subjects.rpc('alerter', 'maintenance'), {
    by: 'discord:42',
    name: 'upgrades',
    matchers: [{ name: 'chain_id', value: 'rep-1' }],
    weekly: { days: ['tue'], start: '14:00', end: '15:00' },
    timezone: 'Europe/Zurich',
  });
  await publishClient(a, 'rep-1', 'c-0', { trusting: 46_800, elapsed: 41_400 });
  await a.settle();
  await b.settle();
  clock.advance(60_000);
  await Promise.all([a.handle.tick(), b.handle.tick()]);
  expect(await a.received()).toEqual([]);
  // 15:00 in Zurich: both replicas' timers run at once.
  clock.set(Date.parse('2026-03-24T14:00:00Z'));
  await Promise.all([a.handle.tick(), b.handle.tick()]);
  await Promise.all([a.handle.tick(), b.handle.tick()]);
  await a.handle.alerter.settled();
  await b.handle.alerter.settled();
  const seen = (await a.received()).map((n) => `${n.transition}:${n.alerts[0]!.summary}`);
  expect(seen).toEqual([
    'notice:1 alert during maintenance "upgrades", 1 still firing',
    expect.stringMatching(/^firing:IBC client c-0 on rep-1 /),
  ]);
});
