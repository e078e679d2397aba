import { type Demo, startDemo } from '@tocsin/cli/demo';
import type { EventEnvelope } from '@tocsin/events';
import { harmonySignersService } from '@tocsin/harmony-signers';
import { type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The demo's Harmony part as `tocsin up` wires it: the simulator, two agents in the CLI process, harmony-signers
 * with the demo's configuration (its agents' token given by hash only). The scenario switches the backup to Normal
 * 30 s in; here the test switches it at once instead of waiting.
 */
let env: TestEnv;
let demo: Demo;
let service: RunningService;

beforeAll(async () => {
  env = await testEnv('hmy_demo');
  demo = await startDemo();
  const { subject_prefix: _demoPrefix, ...demoConfig } = demo.config;
  service = await startService(harmonySignersService, {
    env: env.env,
    config: { ...demoConfig, ...env.config },
  });
});
afterAll(async () => {
  await demo?.close();
  await service?.stop();
  await env?.cleanup();
});

it('the demo agents report both nodes; the backup signing too is a double-sign risk', async () => {
  const nc = await env.nats();
  const events = collect<EventEnvelope>(nc, `${env.prefix}.events.harmony-signers.>`);
  await nc.flush();
  demo.servicesAt({ 'harmony-signers': Number(new URL(service.url).port) });
  await eventually(
    () =>
      new Set(events.items.filter((e) => e.type === 'signer_report').map((e) => e.data.hostname)).size === 2,
    60_000,
    'reports from both demo agents',
  );
  demo.harmony.set('val-backup', { mode: 'Normal' });
  const risk = await eventually(
    () => events.items.find((e) => e.type === 'double_sign_risk' && e.data.active === true),
    60_000,
    'the demo double-sign risk',
  );
  expect(risk!.data).toMatchObject({ normal_hosts: 2, sides: [{ owner: 'user:demo-operator' }] });
  events.stop();
});
