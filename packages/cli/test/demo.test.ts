import { loadConfig } from '@tocsin/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/up/demo.ts';

let demo: Demo;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => demo?.close());

it('runs the demo under its own subject prefix and streams, never those of a real deployment', () => {
  // As a service of the demo loads it: the generated config, no TOCSIN_SUBJECT_PREFIX in the environment.
  const config = loadConfig({ defaults: demo.config, env: {} });
  expect(config.subject_prefix).toBe('tocsin-demo');
  expect(loadConfig({ env: {} }).subject_prefix).toBe('tocsin');
  // An explicit prefix (tests, or a user's choice) still wins.
  expect(loadConfig({ defaults: demo.config, env: { TOCSIN_SUBJECT_PREFIX: 'mine' } }).subject_prefix).toBe(
    'mine',
  );
});
