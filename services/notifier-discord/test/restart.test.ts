import { newId } from '@tocsin/events';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COLOURS } from '../src/render/card.ts';
import { alertOf, notificationOf, resolvedOf } from './fixtures.ts';
import { ALICE, type Harness, messagesShowing, startHarness } from './harness.ts';

let env: TestEnv;
let first: Harness;
let second: Harness;

beforeAll(async () => {
  env = await testEnv('discord-restart');
  first = await startHarness(env);
});
afterAll(async () => {
  await second?.stop();
  await env.cleanup();
});

it('keeps the link in PostgreSQL: after a restart, a resolve edits the original and a button finds its card', async () => {
  const summary = `before restart ${newId()}`;
  const a = alertOf({ summary });
  await first.publish(notificationOf({}, [a]));
  const [original] = await messagesShowing(first, first.channels.alerts, summary);
  await first.stopService();

  second = await startHarness(env, {}, { after: first });
  await second.publish(notificationOf({ transition: 'resolved' }, [resolvedOf(a)]));
  const [, reply] = await messagesShowing(second, second.channels.alerts, summary, 2);
  expect(reply!.message_reference?.message_id).toBe(original!.id);
  await eventually(() =>
    JSON.stringify(
      second.fake.messages(second.channels.alerts).find((m) => m.id === original!.id)!.embeds,
    ).includes(`"color":${COLOURS.resolved}`),
  );

  // A button on a message from before the restart: the card is found in PostgreSQL.
  const other = alertOf({ summary: `also before ${newId()}` });
  await second.stopService();
  second = await startHarness(env, {}, { after: first });
  await second.publish(notificationOf({}, [other]));
  const [m] = await messagesShowing(second, second.channels.alerts, other.summary);
  await second.stopService();
  second = await startHarness(env, {}, { after: first });
  const click = second.fake.dispatchInteraction({
    type: 'button',
    channelId: second.channels.alerts,
    user: ALICE,
    messageId: m!.id,
    customId: `ack:${other.episode_id}`,
  });
  expect((await click.response).type).toBe(6);
  // No alerter answers in this test: the clicker is told, and the message is left as it was.
  const told = await eventually(
    () =>
      second.fake.messages(second.channels.alerts).find((x) => x.content?.startsWith('Not acknowledged:')),
    30_000,
  );
  expect(told!.content).toBe(
    'Not acknowledged: The alerter is not answering right now; try again in a minute.',
  );
});
