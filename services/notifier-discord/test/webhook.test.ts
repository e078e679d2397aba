import { newId } from '@tocsin/events';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COLOURS } from '../src/render/card.ts';
import { parseWebhookUrl } from '../src/webhookTransport.ts';
import { alertOf, notificationOf, resolvedOf } from './fixtures.ts';
import { type Harness, messagesShowing, startHarness } from './harness.ts';

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await testEnv('discord-webhook');
  h = await startHarness(
    env,
    {
      username: 'tocsin (mainnet)',
      avatar_url: 'https://example.org/tocsin.png',
      mentions: ['<@&900000000000000001>'],
    },
    { webhook: true },
  );
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});

it('webhook-only mode: alerts through the webhook with its name and avatar, no gateway, no buttons', async () => {
  const summary = `webhook alert ${newId()}`;
  await h.publish(notificationOf({}, [alertOf({ summary })]));
  const [m] = await messagesShowing(h, h.channels.alerts, summary);
  expect(m).toMatchObject({
    webhook_id: expect.any(String),
    author: { username: 'tocsin (mainnet)' },
    content: '<@&900000000000000001>',
    components: [],
    embeds: [{ title: `🟠 FIRING · ${summary}` }],
  });
  const [post] = h.fake.requests({ method: 'POST', path: '/webhooks/:id/:token' });
  expect(post!.query.wait).toBe('true');
  expect(post!.body).toMatchObject({
    avatar_url: 'https://example.org/tocsin.png',
    allowed_mentions: { parse: [], roles: ['900000000000000001'] },
  });
  expect(post!.body).not.toHaveProperty('components');
  expect(h.fake.connectedSessions()).toBe(0);
  expect(h.fake.commands(h.guild.id)).toEqual([]);
});

it("webhook-only mode posts an instance's startup notice under that instance's name and avatar", async () => {
  const summary = `cosmos-ibc 0.1.0 started ${newId()}`;
  await h.publish(
    notificationOf({ transition: 'notice' }, [
      alertOf({
        summary,
        labels: {
          rule: 'service-started',
          service: 'cosmos-ibc',
          sender_name: 'hub relayers',
          sender_icon_url: 'https://example.org/hub.png',
        },
      }),
    ]),
  );
  const [m] = await messagesShowing(h, h.channels.alerts, summary);
  expect(m).toMatchObject({ author: { username: 'hub relayers' } });
  const post = h.fake
    .requests({ method: 'POST', path: '/webhooks/:id/:token' })
    .find((r) => JSON.stringify(r.body).includes(summary));
  expect(post!.body).toMatchObject({ username: 'hub relayers', avatar_url: 'https://example.org/hub.png' });
});

it('webhook-only mode still edits the original on resolve', async () => {
  const summary = `webhook resolve ${newId()}`;
  const a = alertOf({ summary });
  await h.publish(notificationOf({}, [a]));
  const [original] = await messagesShowing(h, h.channels.alerts, summary);
  await h.publish(notificationOf({ transition: 'resolved' }, [resolvedOf(a)]));
  const [, reply] = await messagesShowing(h, h.channels.alerts, summary, 2);
  expect(reply!.embeds).toMatchObject([{ title: `✅ RESOLVED · ${summary}` }]);
  expect(reply!.message_reference).toBeUndefined();
  await eventually(
    () => h.fake.messages(h.channels.alerts).find((m) => m.id === original!.id)?.edited_timestamp,
  );
  expect(h.fake.messages(h.channels.alerts).find((m) => m.id === original!.id)!.embeds).toMatchObject([
    { title: `✅ RESOLVED · ${summary}`, color: COLOURS.resolved },
  ]);
  expect(
    h.fake.requests({ method: 'PATCH', path: `/webhooks/:id/:token/messages/${original!.id}` }),
  ).toHaveLength(1);
});

it('reads id and token from any webhook URL and refuses something else', () => {
  expect(
    parseWebhookUrl('https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz-_0123'),
  ).toEqual({
    id: '123456789012345678',
    token: 'abcdefghijklmnopqrstuvwxyz-_0123',
  });
  expect(() => parseWebhookUrl('https://example.org/hook')).toThrow(/does not hold a Discord webhook URL/);
});
