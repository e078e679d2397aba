import type { DiscordMessage } from '@tocsin/chat-fakes';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALICE, type Harness, startHarness } from './harness.ts';

// Two replicas of the bot (`docker compose up --scale notifier-discord=2`): Discord sends every message and
// interaction to each gateway session, and exactly one replica must answer it.
let env: TestEnv;
let first: Harness;
let second: Harness;

beforeAll(async () => {
  env = await testEnv('discord-replicas');
  first = await startHarness(env);
  second = await startHarness(env, {}, { after: first });
  await eventually(() => first.fake.connectedSessions() === 2, 15_000, 'both replicas on the gateway');
});
afterAll(async () => {
  await second?.stopService();
  await first?.stop();
  await env?.cleanup();
});

it('answers each text command and each slash command once, whichever replica takes it', async () => {
  const fake = first.fake;
  const channel = first.channels.alerts;
  const sent = Array.from({ length: 10 }, () =>
    fake.dispatchMessageCreate({
      channel_id: channel,
      content: '$help',
      author: ALICE,
      member: { roles: [] },
    }),
  );
  const repliesTo = (id: string) =>
    fake.messages(channel).filter((m: DiscordMessage) => m.message_reference?.message_id === id);
  const commands = Array.from({ length: 10 }, () =>
    fake.dispatchInteraction({
      type: 'command',
      channelId: channel,
      user: ALICE,
      member: { roles: [] },
      name: 'help',
      options: {},
    }),
  );
  await eventually(() => sent.every((m) => repliesTo(m.id).length > 0), 30_000, 'a reply to every $help');
  await Promise.all(commands.map((c) => c.response));
  // Both sessions got every message and interaction: had both replicas answered, the second answers would be in
  // by now (with the claim there is no second answer to wait for).
  for (const m of sent) expect(repliesTo(m.id), `replies to message ${m.id}`).toHaveLength(1);
  const responses = fake.interactionResponses();
  for (const c of commands)
    expect(
      responses.filter((r) => r.interactionId === c.id),
      `responses to ${c.id}`,
    ).toHaveLength(1);
});
