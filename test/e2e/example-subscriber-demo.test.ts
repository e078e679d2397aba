import { join } from 'node:path';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { cleanEnv, type ServiceProcess, spawnService } from '../support/processes.ts';
import { consoleLogin, tocsinUp, type UpStack } from '../support/tocsinUp.ts';

// examples/subscriber as a newcomer runs it beside `pnpm start`: the demo stack (every ingestor with its simulator),
// and the example in a process of its own, reading the demo's streams with durable consumers of its own.
const MAIN = join(import.meta.dirname, '..', '..', 'examples', 'subscriber', 'src', 'main.ts');
let demo: UpStack | undefined;
let sub: ServiceProcess | undefined;

beforeAll(async () => {
  demo = tocsinUp('example_demo', inject('natsUrl'));
  // The startup summary (with the console's login link) is printed once every service has started.
  await consoleLogin(demo);
  sub = spawnService(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...cleanEnv(),
      NATS_URL: inject('natsUrl'),
      TOCSIN_SUBJECT_PREFIX: demo.prefix,
      SUBSCRIBER_DURABLE: 'example-demo',
    },
  });
}, 180_000);

afterAll(async () => {
  sub?.kill('SIGTERM');
  await sub?.exited;
  await demo?.stop();
}, 60_000);

it('prints the demo stack’s events from every ingestor, and its alerts', async () => {
  const sources = ['cosmos-ibc', 'ics-ccv', 'subspace-blocks', 'harmony-signers'];
  const printed = () => sub!.output();
  await eventually(
    () =>
      sources.every((s) => new RegExp(`^event ${s}\\.\\w+ v\\d+ `, 'm').test(printed())) &&
      /^alert firing \w+ \S+ /m.test(printed()),
    150_000,
    `an event of each of ${sources.join(', ')} and a firing alert printed by the example subscriber`,
  );
  // Every message matched the published contract: none was skipped.
  expect(printed()).not.toMatch(/^skipped:/m);
}, 200_000);
