import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnAlerter, yamlFile } from './process.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await testEnv('alerter-bad-rules');
});
afterAll(async () => env.cleanup());

it('a bad rule file stops the start: exit 1 with the rule id and the reason', async () => {
  const rules = yamlFile('rules.yaml', {
    rules: [
      {
        id: 'relayer-nearly-expired',
        match: { source: 'cosmos-ibc', type: 'client_status' },
        condition: { threshold: 'elapsed_ratioo >= 0.9' },
        severity: 'critical',
        summary: '{{ client_id }}',
      },
      {
        id: 'wrong-severity',
        match: { source: 'cosmos-ibc', type: 'client_status' },
        condition: { threshold: 'status == "Frozen"' },
        severity: 'urgent',
        summary: 'x',
      },
    ],
  });
  const config = yamlFile('tocsin.yaml', { alerter: { rules_files: [rules] } });
  const p = spawnAlerter(env.env, config);
  expect(await p.exited).toBe(1);
  const err = p.stderr.join('');
  expect(err).toContain(
    `${rules}: rules.0 (id=relayer-nearly-expired): condition.threshold: unknown field "elapsed_ratioo" in cosmos-ibc.client_status`,
  );
  expect(err).toContain(`${rules}: rules.1 (id=wrong-severity): severity: Invalid option`);
  expect(err).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
});

it('a missing rule file is named too', async () => {
  const config = yamlFile('tocsin.yaml', { alerter: { rules_files: ['/nonexistent/rules.yaml'] } });
  const p = spawnAlerter(env.env, config);
  expect(await p.exited).toBe(1);
  expect(p.stderr.join('')).toContain('/nonexistent/rules.yaml: cannot read it (ENOENT)');
});
