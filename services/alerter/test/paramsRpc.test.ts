import { callRpc } from '@tocsin/bus';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('alerter-params-rpc');
  h = await startAlerter(env, { params: { ibc_expiry_warning_ratio: 0.7, ibc_expiry_critical_left: '6h' } });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});

it('answers the rule parameters in force: the configured ones over the defaults, durations in seconds', async () => {
  const { params } = await callRpc<{ params: Record<string, unknown> }>(
    h.nc,
    env.subjects.rpc('alerter', 'params'),
    {},
  );
  expect(params.ibc_expiry_warning_ratio).toBe(0.7);
  expect(params.ibc_expiry_critical_left).toBe(6 * 3600);
  // A default the configuration does not override.
  expect(params.wallet_empty_within).toBe(24 * 3600);
});
