import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnAlerter, yamlFile } from './process.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv('alerter-bad-maintenance');
});
afterAll(async () => env.cleanup());

it('bad maintenance windows stop the start: exit 1 naming each bad field, unknown keys too', async () => {
  const config = yamlFile('tocsin.yaml', {
    alerter: {
      maintenance: [
        {
          name: 'upgrades',
          matchers: [{ name: 'chain_id', value: 'osmosis-1' }],
          weekly: { days: ['tue'], start: '14:00', end: '15:00' },
          timezone: 'Europe/Zurik',
        },
        { name: 'backup', matchers: [{ name: 'rule', value: 'x' }], cron: '0 3 * *', duration: '30m' },
        { name: 'typo', matchers: [{ name: 'rule', value: 'x' }], cron: '0 3 * * *', duraton: '30m' },
      ],
    },
  });
  const p = spawnAlerter(env.env, config);
  expect(await p.exited).toBe(1);
  const err = p.stderr.join('');
  expect(err).toContain('alerter.maintenance.0.timezone: unknown time zone "Europe/Zurik"');
  expect(err).toMatch(/alerter\.maintenance\.1\.cron: .*exactly five, six, or seven/);
  expect(err).toContain('alerter.maintenance.2.duraton: unknown key; did you mean "duration"?');
  expect(err).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
});
