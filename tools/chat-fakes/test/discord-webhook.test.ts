import { EmbedBuilder, WebhookClient } from 'discord.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type FakeDiscord, type FakeWebhook, startFakeDiscord } from '../src/index.ts';

let fake: FakeDiscord;
let channelId: string;
let hook: FakeWebhook;
let webhook: WebhookClient;

beforeEach(async () => {
  fake = await startFakeDiscord();
  channelId = fake.addGuild({ channels: [{ name: 'alerts' }] }).channels[0]!.id;
  hook = fake.createWebhook({ channelId });
  // The URL only supplies id and token; the requests go to rest.api.
  webhook = new WebhookClient({ url: hook.url }, { rest: { api: fake.url, offset: 0 } });
});

afterEach(async () => {
  webhook.destroy();
  await fake.close();
});

it('sends through WebhookClient and edits the message on resolve', async () => {
  const sent = await webhook.send({
    username: 'tocsin',
    embeds: [new EmbedBuilder().setTitle('Validator missed 50 blocks')],
  });

  const [post] = fake.requests({ method: 'POST', path: '/webhooks/:id/:token' });
  expect(post?.query.wait).toBe('true');
  expect(post?.headers.authorization).toBeUndefined();
  expect(fake.messages(channelId)).toMatchObject([
    {
      id: sent.id,
      webhook_id: hook.id,
      author: { username: 'tocsin' },
      embeds: [{ title: 'Validator missed 50 blocks' }],
    },
  ]);

  await webhook.editMessage(sent.id, { embeds: [new EmbedBuilder().setTitle('Resolved')] });

  expect(
    fake.requests({ method: 'PATCH', path: `/webhooks/${hook.id}/:token/messages/${sent.id}` }),
  ).toHaveLength(1);
  expect(fake.messages(channelId)[0]?.embeds).toMatchObject([{ title: 'Resolved' }]);
});

it('retries a 429 on the webhook route', async () => {
  fake.failNext({ method: 'POST', path: '/webhooks/*' }, { status: 429, retryAfterS: 0.05 });

  await webhook.send('validator down');

  expect(fake.requests({ path: '/webhooks/*' }).map((r) => r.status)).toEqual([429, 200]);
});

it('answers an unknown webhook with 10015', async () => {
  const stranger = new WebhookClient(
    { id: '123456789012345678', token: hook.token },
    { rest: { api: fake.url } },
  );
  try {
    await expect(stranger.send('hello')).rejects.toMatchObject({ status: 404, code: 10015 });
  } finally {
    stranger.destroy();
  }
});

it('needs the discord.com-style URL: WebhookClient rejects a URL pointing at the fake', () => {
  expect(() => new WebhookClient({ url: `${fake.url}/webhooks/${hook.id}/${hook.token}` })).toThrow(
    /webhook url/i,
  );
});
